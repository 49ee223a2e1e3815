import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCKS } from '../src/flows/config.js';
import { codeAt, enroll, harness, STEP, wrongCode, type Harness } from './mfa-fixtures.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Guesses wrong codes until one is refused, then returns how long the lock is. */
async function lockAfterFailures(h: Harness, secret: string, failures: number): Promise<number | null> {
  for (let i = 0; i < failures; i++) expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t)), `failure ${i + 1}`).toEqual({ ok: false, reason: 'mismatch' });
  const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
  if (r.ok || r.reason !== 'locked') return null;
  return r.retryAfterMs;
}

describe('throttling (4 free failures, 30 s after the fifth, growing to a day, suspension at 100)', () => {
  it('a user who mistypes three times in a row never waits', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    for (let i = 0; i < 3; i++) expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
  });

  it('locks for 30 s on the fifth failure and refuses even a right code while locked', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    expect(await lockAfterFailures(h, secret, 5)).toBe(30 * SECOND);
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 29_999;
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 1 });
    expect((await h.mfa.status('user-1')).lockedUntil).toBe(h.clock.t + 1);
    h.clock.t += 1;
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
    expect((await h.store.getUser('user-1')).attempts).toEqual({ failures: 0, lockedUntil: null });
    expect((await h.mfa.status('user-1')).lockedUntil).toBeUndefined();
  });

  it('grows the lock with each further failure up to a day', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    for (let i = 1; i <= 4; i++) await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    const seen: number[] = [];
    for (let i = 0; i < 14; i++) {
      expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      if (r.ok || r.reason !== 'locked') throw new Error('expected a lock');
      seen.push(r.retryAfterMs);
      h.clock.t += r.retryAfterMs;
    }
    expect(seen).toEqual([30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, DAY, DAY, DAY]);
    const lockouts = h.events.filter((e) => e.type === 'lockout');
    expect(lockouts).toHaveLength(14);
    expect(h.events.filter((e) => e.type === 'throttle.warning').map((e) => (e.type === 'throttle.warning' ? e.failures : 0))).toEqual([10]);
  });

  it('shares one budget between TOTP and recovery codes', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h);
    for (let i = 0; i < 3; i++) await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    await h.mfa.verify('user-1', '0000-0000-0000-0000-0000-0000');
    expect(await h.mfa.verify('user-1', '1111-1111-1111-1111-1111-1111')).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('user-1', recoveryCodes[0] as string)).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
  });

  it('a success before the lock clears the failures', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    for (let i = 0; i < 4; i++) await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    expect((await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).ok).toBe(true);
    for (let i = 0; i < 4; i++) expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('throttles enrolment confirmation with the same budget, and a confirmation clears it', async () => {
    const h = harness();
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    const bad = wrongCode(secret, h.clock.t);
    for (let i = 1; i <= 5; i++) expect(await h.mfa.confirmEnrollment('u1', bad)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 30_000;
    expect(await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
    expect((await h.store.getUser('u1')).attempts).toEqual({ failures: 0, lockedUntil: null });
  });

  it('a right e-mail code gives its attempt back and no more: TOTP guesses stay counted', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u1');
    for (let i = 0; i < 3; i++) await h.mfa.verify('u1', wrongCode(secret, h.clock.t));
    const sent: string[] = [];
    const opts = { purpose: 'email:verify', destination: 'new@example.com' };
    await h.mfa.sendCode('u1', { ...opts, send: (m: { code: string }) => void sent.push(m.code) });
    expect(await h.mfa.verifyCode('u1', { ...opts, code: sent[0] as string })).toEqual({ ok: true });
    expect((await h.store.getUser('u1')).attempts).toMatchObject({ failures: 3 });
  });

  it('suspends after 100 consecutive failures until reset', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h);
    let checked = 0;
    while (checked < 100) {
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      if (!r.ok && r.reason === 'locked') h.clock.t += r.retryAfterMs;
      else {
        expect(r, `attempt ${checked + 1}`).toEqual({ ok: false, reason: 'mismatch' });
        checked++;
      }
    }
    h.clock.t += 2 * DAY;
    expect(await h.mfa.status('user-1')).toMatchObject({ state: 'suspended', enrolled: true, recoveryCodesRemaining: 10 });
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'suspended' });
    expect(await h.mfa.verify('user-1', recoveryCodes[0] as string)).toEqual({ ok: false, reason: 'suspended' });
    expect(h.events.filter((e) => e.type === 'lockout' && e.reason === 'suspended')).toHaveLength(1);

    await h.mfa.reset('user-1', { actor: 'admin', reason: 'user called support' });
    const again = await h.mfa.beginEnrollment('user-1', { account: 'jane' });
    expect((await h.mfa.confirmEnrollment('user-1', codeAt(again.secret, h.clock.t))).ok).toBe(true);
    h.clock.t += STEP;
    expect((await h.mfa.verify('user-1', codeAt(again.secret, h.clock.t))).ok).toBe(true);
  });

  it('suspension wins over a lock still running', async () => {
    const h = harness({ policy: { throttle: { locks: [0, 0, 60_000], suspendAfter: 3 } } });
    const { secret } = await enroll(h);
    expect(await lockAfterFailures(h, secret, 2)).toBe(60_000);
    h.clock.t += 60_000;
    expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'suspended' });
  });

  it('follows a custom schedule', async () => {
    const h = harness({ policy: { throttle: { locks: [0, 0, 1000, 1500], suspendAfter: 4 } } });
    const { secret } = await enroll(h);
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      outcomes.push(r.ok ? 'ok' : r.reason);
      const locked = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      outcomes.push(locked.ok ? 'ok' : locked.reason === 'locked' ? locked.retryAfterMs : locked.reason);
      h.clock.t += 1500;
    }
    expect(outcomes).toEqual(['mismatch', 'mismatch', 'mismatch', 1500, 'mismatch', 'suspended', 'suspended', 'suspended', 'suspended', 'suspended']);
  });

  it('refuses a throttle option of the wrong type or shape', () => {
    for (const throttle of [5, 'strict', [], { locks: [30_000] }, { locks: [0, -1] }, { locks: [0, 1.5] }, { suspendAfter: 101 }, { freeFailures: 5 }]) {
      expect(() => harness({ policy: { throttle: throttle as never } }), JSON.stringify(throttle)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});

describe('a patient attacker against a victim who signs in daily (simulated, 30 days)', () => {
  // The attacker has the password and guesses as fast as the lock allows, but
  // never so that a lock would still run at the victim's daily sign-in (which
  // would give the attack away and stop the victim's sign-in from clearing the
  // count). The victim signs in once a day with a right code.
  it('gets at most 14 checked guesses a day: P(success) ≤ 2 % a year for 6 digits and a ±1 window', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const start = h.clock.t;
    const perDay: number[] = [];
    for (let day = 0; day < 30; day++) {
      const victimAt = start + (day + 1) * DAY;
      let guesses = 0;
      for (;;) {
        const { failures, lockedUntil } = (await h.store.getUser('user-1')).attempts;
        if (lockedUntil !== null && lockedUntil > h.clock.t) h.clock.t = lockedUntil;
        // The schedule is public: guess only when the lock it starts ends before the victim signs in.
        const nextLock = DEFAULT_LOCKS[Math.min(failures + 1, DEFAULT_LOCKS.length - 1)] as number;
        if (h.clock.t + nextLock >= victimAt) break;
        expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
        guesses++;
      }
      perDay.push(guesses);
      h.clock.t = victimAt;
      expect((await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).ok, `victim on day ${day}`).toBe(true);
      h.clock.t += 1;
    }
    expect(Math.max(...perDay)).toBeLessThanOrEqual(14);
    expect(Math.min(...perDay)).toBe(Math.max(...perDay));
    // 3 codes of 10^6 are accepted in a ±1 window (RFC 6238 §5.2).
    const yearly = 1 - (1 - 3e-6) ** (Math.max(...perDay) * 365);
    expect(yearly).toBeLessThanOrEqual(0.02);
  });

  it('one who ignores the victim gets fewer: the lock reaches a day and stays there', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const start = h.clock.t;
    let guesses = 0;
    while (h.clock.t < start + 30 * DAY) {
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      if (!r.ok && r.reason === 'locked') h.clock.t += r.retryAfterMs;
      else if (!r.ok && r.reason === 'suspended') break;
      else guesses++;
    }
    expect(guesses / 30).toBeLessThanOrEqual(2);
  });
});

describe('concurrency at the flow level', () => {
  it('N parallel verifies of the same right code: exactly one succeeds', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const code = codeAt(secret, h.clock.t);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.mfa.verify('user-1', code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((x) => !x.ok)) expect(['replayed', 'locked']).toContain(r.ok ? '' : r.reason);
  });

  it('N parallel wrong guesses: only the free ones and the first locking one are checked', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const bad = wrongCode(secret, h.clock.t);
    const results = await Promise.all(Array.from({ length: 40 }, () => h.mfa.verify('user-1', bad)));
    const reasons = results.map((r) => (r.ok ? 'ok' : r.reason));
    expect(reasons.filter((r) => r === 'mismatch')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'locked')).toHaveLength(35);
  });

  it('N parallel uses of one recovery code: exactly one succeeds', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h);
    const results = await Promise.all(Array.from({ length: 5 }, () => h.mfa.verify('user-1', recoveryCodes[3] as string)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await h.mfa.status('user-1')).toMatchObject({ recoveryCodesRemaining: 9 });
  });

  it('N parallel confirmations of one enrolment: exactly one returns recovery codes', async () => {
    const h = harness();
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    const code = codeAt(secret, h.clock.t);
    const results = await Promise.all(Array.from({ length: 10 }, () => h.mfa.confirmEnrollment('u1', code)));
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    // The losers drew on the failure budget (confirmation is throttled like sign-in).
    for (const r of results) if (!r.ok) expect(['expired', 'locked']).toContain(r.reason);
    expect(await h.mfa.status('u1')).toMatchObject({ state: 'active', recoveryCodesRemaining: 10 });
    h.clock.t += 15 * 60_000;
    const codes = (winners[0]?.ok ? winners[0].recoveryCodes : undefined) ?? [];
    expect((await h.mfa.verify('u1', codes[0] as string)).ok).toBe(true);
  });
});
