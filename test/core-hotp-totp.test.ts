// Properties of HOTP/TOTP generation and verification (RFC 4226, RFC 6238).
// generateHotp is the oracle here; test/core-crosscheck.test.ts ties it to node:crypto.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTotpVerifier, generateHotp, generateTotp, timeStep, verifyHotp, verifyTotp, type Algorithm, type TotpWindow } from '../src/index.js';

const algorithm = fc.constantFrom<Algorithm>('SHA1', 'SHA256', 'SHA512');
const key = fc.uint8Array({ minLength: 16, maxLength: 64 });
const digits = fc.integer({ min: 6, max: 10 });
const RFC_KEY = new TextEncoder().encode('12345678901234567890');

/** Steps in [current - past, current + future] whose code equals `token`: what verifyTotp must find. */
function matchingSteps(k: Uint8Array, token: string, current: number, past: number, future: number, alg: Algorithm, d: number): number[] {
  const out: number[] = [];
  for (let s = current - past; s <= current + future; s++) {
    if (s >= 0 && generateHotp(k, s, { algorithm: alg, digits: d }) === token) out.push(s);
  }
  return out;
}

describe('codes are always `digits` long', () => {
  it('HOTP and TOTP, every algorithm, 6–10 digits, leading zeros kept', () => {
    fc.assert(
      fc.property(algorithm, key, fc.maxSafeNat(), fc.integer({ min: 0, max: 8.64e15 }), digits, (alg, k, c, now, d) => {
        const shape = new RegExp(`^[0-9]{${d}}$`);
        expect(generateHotp(k, c, { algorithm: alg, digits: d })).toMatch(shape);
        expect(generateTotp(k, { now, algorithm: alg, digits: d })).toMatch(shape);
      }),
      { numRuns: 300 },
    );
  });

  it('zero-pads: RFC 6238 SHA1 at T=1111111109 is 07081804', () => {
    expect(generateTotp(RFC_KEY, { now: 1111111109_000, digits: 8 })).toBe('07081804');
  });
});

describe('window: a code generated at t verifies at t ± k·period iff |k| ≤ window', () => {
  const windowArb = fc.oneof(
    fc.integer({ min: 0, max: 10 }).map((w) => ({ option: w as TotpWindow, past: w, future: w })),
    fc
      .record({ past: fc.integer({ min: 0, max: 10 }), future: fc.integer({ min: 0, max: 10 }) })
      .map((w) => ({ option: w as TotpWindow, past: w.past, future: w.future })),
  );

  it('number and { past, future } windows', () => {
    fc.assert(
      fc.property(
        algorithm,
        key,
        digits,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer({ min: -12, max: 12 }),
        windowArb,
        (alg, k, d, period, offsetMs, kSteps, w) => {
          const t = 20 * period * 1000 + offsetMs; // far enough from step 0 that t ± 12 steps is valid
          const token = generateTotp(k, { now: t, period, algorithm: alg, digits: d });
          const generatedAt = timeStep(t, { period });
          const verifyAt = t + kSteps * period * 1000;
          const current = timeStep(verifyAt, { period });
          expect(current).toBe(generatedAt + kSteps);

          const r = verifyTotp(k, token, { now: verifyAt, period, window: w.option, algorithm: alg, digits: d });
          // The code was made for step current - k: inside the window iff -past ≤ -k ≤ future.
          const inside = -kSteps >= -w.past && -kSteps <= w.future;
          const matches = matchingSteps(k, token, current, w.past, w.future, alg, d);
          expect(inside).toBe(matches.includes(generatedAt));
          expect(r.ok).toBe(matches.length > 0);
          if (inside) {
            expect(r.ok).toBe(true);
            // With a chance collision the latest matching step wins; otherwise it is the generating step.
            const latest = Math.max(...matches);
            expect(r).toEqual({ ok: true, step: latest, delta: latest - current });
          } else if (matches.length === 0) {
            expect(r).toEqual({ ok: false, reason: 'mismatch' });
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the default window is ±1 step: 30 s before and after at a 30 s period', () => {
    const now = 1_700_000_000_000;
    const token = generateTotp(RFC_KEY, { now });
    expect(verifyTotp(RFC_KEY, token, { now: now + 30_000 })).toMatchObject({ ok: true, delta: -1 });
    expect(verifyTotp(RFC_KEY, token, { now: now - 30_000 })).toMatchObject({ ok: true, delta: 1 });
    expect(verifyTotp(RFC_KEY, token, { now: now + 60_000 })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyTotp(RFC_KEY, token, { now: now - 60_000 })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('a partial window object fills the other side with the default 1', () => {
    const now = 1_700_000_000_000;
    const token = generateTotp(RFC_KEY, { now });
    expect(verifyTotp(RFC_KEY, token, { now: now + 30_000, window: { future: 0 } })).toMatchObject({ ok: true, delta: -1 });
    expect(verifyTotp(RFC_KEY, token, { now: now + 30_000, window: { past: 0 } })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('no candidate before step 0: a window reaching below it is clipped, not an error', () => {
    const token = generateTotp(RFC_KEY, { now: 0 });
    expect(verifyTotp(RFC_KEY, token, { now: 0, window: 10 })).toEqual({ ok: true, step: 0, delta: 0 });
  });
});

describe('two steps of the window share a code: the latest is accepted (RFC 6238 §5.2)', () => {
  // The RFC 4226 Appendix D key gives 911617 at counters 910737 and 910738.
  const now = 910_737 * 30_000;

  it('the shared code is accepted at the later step, so it cannot be accepted again', () => {
    expect(generateHotp(RFC_KEY, 910_737)).toBe('911617');
    expect(generateHotp(RFC_KEY, 910_738)).toBe('911617');
    const first = verifyTotp(RFC_KEY, '911617', { now });
    expect(first).toEqual({ ok: true, step: 910_738, delta: 1 });
    expect(verifyTotp(RFC_KEY, '911617', { now, afterStep: 910_738 })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('the prepared verifier agrees', () => {
    const verifier = createTotpVerifier(RFC_KEY);
    expect(verifier.verify('911617', { now })).toEqual({ ok: true, step: 910_738, delta: 1 });
    expect(verifier.verify('911617', { now, afterStep: 910_738 })).toEqual({ ok: false, reason: 'replayed' });
    verifier.destroy();
  });
});

describe('createTotpVerifier: the prepared form of verifyTotp', () => {
  it('answers exactly as verifyTotp for any code, time and replay guard', () => {
    fc.assert(
      fc.property(algorithm, key, digits, fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1e6, max: 4e12 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -1, max: 3 }), (alg, k, d, period, t, shift, guard) => {
        const opts = { algorithm: alg, digits: d, period };
        const token = generateTotp(k, { now: t + shift * period * 1000, ...opts });
        const verifier = createTotpVerifier(k, opts);
        const afterStep = guard < 0 ? undefined : Math.max(-1, timeStep(t, { period }) - 2 + guard);
        expect(verifier.verify(token, { now: t, afterStep })).toEqual(verifyTotp(k, token, { now: t, afterStep, ...opts }));
        verifier.destroy();
      }),
      { numRuns: 300 },
    );
  });

  it('honours t0 (RFC 6238 §4.1)', () => {
    const t0 = 1_000;
    const token = generateTotp(RFC_KEY, { now: 1_000_000 + 59_000, t0 });
    const verifier = createTotpVerifier(RFC_KEY, { t0, window: 0 });
    expect(verifier.verify(token, { now: 1_000_000 + 59_000 })).toEqual({ ok: true, step: timeStep(1_000_000 + 59_000, { t0 }), delta: 0 });
    verifier.destroy();
  });

  it('answers malformed input with a result and refuses use after destroy()', () => {
    const verifier = createTotpVerifier(RFC_KEY);
    expect(verifier.verify(12345 as unknown as string)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.verify('12 34')).toEqual({ ok: false, reason: 'malformed' });
    verifier.destroy();
    expect(() => verifier.verify('123456')).toThrow(TypeError);
  });
});

describe('afterStep replay guard (RFC 6238 §5.2)', () => {
  it('a code whose step is ≤ afterStep is replayed; the step after is accepted', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1e12, max: 4e12 }), fc.integer({ min: 0, max: 5 }), (k, now, extra) => {
        const step = timeStep(now);
        const token = generateTotp(k, { now, digits: 10 });
        expect(verifyTotp(k, token, { now, digits: 10, afterStep: step - 1 })).toEqual({ ok: true, step, delta: 0 });
        expect(verifyTotp(k, token, { now, digits: 10, afterStep: step + extra })).toEqual({ ok: false, reason: 'replayed' });
      }),
    );
  });

  it('a replayed code stays replayed when it is also in the window of a later time', () => {
    const now = 1_700_000_000_000;
    const token = generateTotp(RFC_KEY, { now, digits: 8 });
    const step = timeStep(now);
    expect(verifyTotp(RFC_KEY, token, { now: now + 30_000, digits: 8, afterStep: step })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('a wrong code under the guard is a mismatch, not replayed', () => {
    const now = 1_700_000_000_000;
    const token = generateTotp(RFC_KEY, { now, digits: 8 });
    const wrong = token.startsWith('0') ? `1${token.slice(1)}` : `0${token.slice(1)}`;
    expect(verifyTotp(RFC_KEY, wrong, { now, digits: 8, window: 0, afterStep: timeStep(now) })).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('verifyHotp look-ahead (RFC 4226 §7.4)', () => {
  it('accepts counter … counter + lookAhead and reports the matched counter', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (k, c, lookAhead, ahead) => {
        const token = generateHotp(k, c + ahead, { digits: 10 });
        const r = verifyHotp(k, token, c, { lookAhead, digits: 10 });
        if (ahead <= lookAhead) expect(r).toEqual({ ok: true, counter: c + ahead, delta: ahead });
        else expect(r).toEqual({ ok: false, reason: 'mismatch' });
      }),
    );
  });

  it('never looks back: the previous counter is a mismatch', () => {
    expect(verifyHotp(RFC_KEY, '755224', 1, { lookAhead: 5 })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('look-ahead stops at 2^53 − 1 without an error', () => {
    const top = Number.MAX_SAFE_INTEGER;
    const token = generateHotp(RFC_KEY, top, { digits: 8 });
    expect(verifyHotp(RFC_KEY, token, top - 1, { lookAhead: 100, digits: 8 })).toEqual({ ok: true, counter: top, delta: 1 });
  });
});

describe('tokens as people type them', () => {
  const now = 59_000;
  it.each(['287082', ' 287082 ', '287 082', '287\t082', '287\u00a0082', '28 70 82', '287082\n'])('%j verifies', (token) => {
    expect(verifyTotp(RFC_KEY, token, { now, window: 0 })).toEqual({ ok: true, step: 1, delta: 0 });
    expect(verifyHotp(RFC_KEY, token, 1)).toEqual({ ok: true, counter: 1, delta: 0 });
  });
});

describe('timeStep', () => {
  it.each([
    [0, 30, 0, 0],
    [29_999, 30, 0, 0],
    [30_000, 30, 0, 1],
    [59_000, 30, 0, 1],
    [1_111_111_109_000, 30, 0, 37_037_036],
    [20_000_000_000_000, 30, 0, 666_666_666],
    [90_000, 60, 30, 1],
    [10_000, 30, 20, -1],
  ])('now=%d period=%d t0=%d → %d', (now, period, t0, expected) => {
    expect(timeStep(now, { period, t0 })).toBe(expected);
  });

  it('defaults to the current time', () => {
    const before = Math.floor(Date.now() / 30_000);
    const step = timeStep();
    expect(step === before || step === before + 1).toBe(true);
  });

  it('generateTotp refuses a time before t0', () => {
    expect(() => generateTotp(RFC_KEY, { now: 1000, t0: 2 })).toThrow(RangeError);
  });
});
