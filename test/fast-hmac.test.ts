// The fast HMAC path (own SHA-1/SHA-256/SHA-512 compressions, keyed state reused
// across counters, canonical base32 decoded without base32-decode) checked bit for
// bit against @noble/hashes HMAC and RFC 4226 §5.3 dynamic truncation.
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSecret, encodeSecret, generateHotp, generateTotp, verifyHotp, verifyTotp } from '../src/index.js';
import { createOtpMac, dynamicTruncate, type FastAlgorithm as Algorithm } from '../src/internal/hmac.js';
import { SHA1_W } from '../src/internal/sha1.js';
import { SHA256_W, SHA512_W } from '../src/internal/sha2.js';

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;

/** RFC 4226 §5.1–5.3 from the reference HMAC: the counter as 8 big-endian bytes. */
function referenceTruncate(algorithm: Algorithm, key: Uint8Array, counter: number): number {
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter % 2 ** 32);
  return dynamicTruncate(hmac(HASHES[algorithm], key, msg));
}

const referenceHotp = (algorithm: Algorithm, key: Uint8Array, counter: number, digits: number): string =>
  String(referenceTruncate(algorithm, key, counter) % 10 ** digits).padStart(digits, '0');

const algorithm = fc.constantFrom(...ALGORITHMS);
// 0–200 bytes crosses both block sizes (64 and 128), so long keys are hashed first (RFC 2104 §2).
const key = fc.uint8Array({ minLength: 0, maxLength: 200 });
const counter = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER),
);
const digits = fc.integer({ min: 6, max: 10 });
// now = step × 30 000 ms stays a safe integer up to step 2^38 (some 260 million years).
const step = fc.integer({ min: 1, max: 2 ** 38 });

describe('createOtpMac against @noble/hashes HMAC', () => {
  it('truncate matches HMAC + dynamic truncation for any key, counter and hash', () => {
    fc.assert(
      fc.property(algorithm, key, fc.array(counter, { minLength: 1, maxLength: 4 }), (alg, k, counters) => {
        const mac = createOtpMac(alg, k);
        // Several counters per key: the keyed state must survive each evaluation unchanged.
        const got = counters.map((c) => mac.truncate(c));
        mac.destroy();
        expect(got).toEqual(counters.map((c) => referenceTruncate(alg, k, c)));
      }),
      { numRuns: 600 },
    );
  });

  it('keys at and around the block sizes', () => {
    for (const alg of ALGORITHMS) {
      for (const length of [0, 1, 19, 20, 31, 32, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 200]) {
        const k = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
        const mac = createOtpMac(alg, k);
        expect(mac.truncate(length), `${alg} key of ${length} bytes`).toBe(referenceTruncate(alg, k, length));
        mac.destroy();
      }
    }
  });

  it('two MACs used in turn do not disturb each other', () => {
    fc.assert(
      fc.property(algorithm, algorithm, key, key, counter, (a1, a2, k1, k2, c) => {
        const m1 = createOtpMac(a1, k1);
        const m2 = createOtpMac(a2, k2);
        const r2 = m2.truncate(c);
        const r1 = m1.truncate(c);
        expect([r1, r2]).toEqual([referenceTruncate(a1, k1, c), referenceTruncate(a2, k2, c)]);
        m1.destroy();
        m2.destroy();
      }),
      { numRuns: 200 },
    );
  });

  it('zeroes the shared schedule buffers after use', () => {
    const k = Uint8Array.from({ length: 150 }, (_, i) => i + 1);
    for (const alg of ALGORITHMS) {
      const mac = createOtpMac(alg, k);
      mac.truncate(1234);
      mac.destroy();
    }
    for (const w of [SHA1_W, SHA256_W, SHA512_W]) expect(w.every((x) => x === 0)).toBe(true);
  });
});

describe('generateHotp and generateTotp against a reference built from @noble/hashes', () => {
  it('generateHotp for every digit count, bytes and base32 secrets', () => {
    fc.assert(
      fc.property(algorithm, fc.uint8Array({ minLength: 1, maxLength: 200 }), counter, digits, (alg, k, c, d) => {
        const want = referenceHotp(alg, k, c, d);
        const opts = { algorithm: alg, digits: d };
        expect(generateHotp(k, c, opts)).toBe(want);
        expect(generateHotp(encodeSecret(k), c, opts)).toBe(want);
      }),
      { numRuns: 400 },
    );
  });

  it('decodeSecret inverts encodeSecret (base32-encode) for every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (k) => {
        expect(decodeSecret(encodeSecret(k))).toEqual(k);
      }),
      { numRuns: 500 },
    );
  });

  it('base32 typed leniently gives the same code as canonical base32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), counter, (k, c) => {
        const canonical = encodeSecret(k);
        const typed = `${canonical.toLowerCase().replace(/(.{4})/g, '$1 ')}==`;
        expect(decodeSecret(typed)).toEqual(k);
        expect(generateHotp(typed, c)).toBe(generateHotp(canonical, c));
        expect(generateHotp(canonical, c)).toBe(referenceHotp('SHA1', k, c, 6));
      }),
      { numRuns: 200 },
    );
  });

  it('generateTotp is the HOTP of the time step, also long after 2038', () => {
    fc.assert(
      fc.property(algorithm, fc.uint8Array({ minLength: 16, maxLength: 100 }), digits, step, (alg, k, d, step) => {
        expect(generateTotp(k, { algorithm: alg, digits: d, now: step * 30_000 + 29_999 })).toBe(referenceHotp(alg, k, step, d));
      }),
      { numRuns: 300 },
    );
  });
});

describe('verify on the fast path', () => {
  it('verifyTotp finds the reference code at each step of the window and rejects a wrong one', () => {
    fc.assert(
      fc.property(algorithm, fc.uint8Array({ minLength: 16, maxLength: 100 }), step, fc.constantFrom(-1, 0, 1), (alg, k, step, delta) => {
        const now = step * 30_000;
        const code = referenceHotp(alg, k, step + delta, 6);
        expect(verifyTotp(encodeSecret(k), code, { algorithm: alg, now })).toEqual({ ok: true, step: step + delta, delta });
        const inWindow = new Set([-1, 0, 1].map((d) => referenceHotp(alg, k, step + d, 6)));
        let wrong = (Number(code) + 1) % 1e6;
        while (inWindow.has(String(wrong).padStart(6, '0'))) wrong = (wrong + 1) % 1e6;
        expect(verifyTotp(k, String(wrong).padStart(6, '0'), { algorithm: alg, now })).toEqual({ ok: false, reason: 'mismatch' });
      }),
      { numRuns: 300 },
    );
  });

  it('verifyHotp matches the reference across a look-ahead', () => {
    fc.assert(
      fc.property(algorithm, fc.uint8Array({ minLength: 16, maxLength: 100 }), fc.integer({ min: 0, max: 2 ** 50 }), fc.integer({ min: 0, max: 5 }), digits, (alg, k, c, ahead, d) => {
        const code = referenceHotp(alg, k, c + ahead, d);
        const r = verifyHotp(k, code, c, { algorithm: alg, digits: d, lookAhead: 5 });
        // An earlier counter in the look-ahead may share the code by chance; the first match wins.
        const first = [0, 1, 2, 3, 4, 5].find((i) => referenceHotp(alg, k, c + i, d) === code) as number;
        expect(r).toEqual({ ok: true, counter: c + first, delta: first });
      }),
      { numRuns: 200 },
    );
  });
});
