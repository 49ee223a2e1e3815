import { describe, expect, it } from 'vitest';
import { codeAt, enroll, harness, STEP, wrongCode } from './mfa-fixtures.js';

describe('throttling (5 free failures, 30 s doubling to 15 min, suspension at 100)', () => {
  it('locks on the fifth failure and refuses even a right code while locked', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const bad = wrongCode(secret, h.clock.t);
    for (let i = 1; i <= 4; i++) expect(await h.mfa.verify('user-1', bad)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('user-1', bad)).toEqual({ ok: false, reason: 'mismatch', retryAfterMs: 30_000 });
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 29_999;
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 1 });
    expect((await h.mfa.status('user-1')).lockedUntil).toBe(h.clock.t + 1);
    h.clock.t += 1;
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
    expect(await h.store.getAttempts('user-1')).toEqual({ failures: 0, lockedUntil: null });
    expect((await h.mfa.status('user-1')).lockedUntil).toBeUndefined();
  });

  it('doubles the lock with each further failure up to 15 minutes', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    for (let i = 1; i <= 4; i++) await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      expect(r).toMatchObject({ ok: false, reason: 'mismatch' });
      const retry = r.ok ? undefined : r.retryAfterMs;
      seen.push(retry);
      h.clock.t += retry ?? 0;
    }
    expect(seen).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect(h.events.filter((e) => e.type === 'lockout').map((e) => e.reason)).toEqual(Array(8).fill('locked'));
  });

  it('shares one budget between TOTP and recovery codes', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h);
    for (let i = 0; i < 3; i++) await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    await h.mfa.verify('user-1', '0000-0000-0000-0000-0000-0000');
    expect(await h.mfa.verify('user-1', '1111-1111-1111-1111-1111-1111')).toMatchObject({ ok: false, reason: 'mismatch', retryAfterMs: 30_000 });
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
    for (let i = 1; i <= 4; i++) expect(await h.mfa.confirmEnrollment('u1', bad)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.confirmEnrollment('u1', bad)).toEqual({ ok: false, reason: 'mismatch', retryAfterMs: 30_000 });
    expect(await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 30_000;
    expect(await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
    expect(await h.store.getAttempts('u1')).toEqual({ failures: 0, lockedUntil: null });
  });

  it('a right e-mail code does not reset the failures of TOTP guesses', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u1');
    for (let i = 0; i < 3; i++) await h.mfa.verify('u1', wrongCode(secret, h.clock.t));
    const sent: string[] = [];
    const opts = { purpose: 'email:verify', destination: 'new@example.com' };
    await h.mfa.sendCode('u1', { ...opts, send: (m: { code: string }) => void sent.push(m.code) });
    expect(await h.mfa.verifyCode('u1', { ...opts, code: sent[0] as string })).toEqual({ ok: true });
    expect(await h.store.getAttempts('u1')).toMatchObject({ failures: 4 });
    expect(await h.mfa.verify('u1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch', retryAfterMs: 30_000 });
  });

  it('suspends after 100 consecutive failures until reset', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h);
    for (let i = 1; i <= 100; i++) {
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      expect(r, `attempt ${i}`).toMatchObject({ ok: false, reason: 'mismatch' });
      if (!r.ok && r.retryAfterMs !== undefined) h.clock.t += r.retryAfterMs;
    }
    h.clock.t += 86_400_000;
    expect(await h.mfa.status('user-1')).toMatchObject({ state: 'suspended', recoveryCodesRemaining: 10 });
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'suspended' });
    expect(await h.mfa.verify('user-1', recoveryCodes[0] as string)).toEqual({ ok: false, reason: 'suspended' });
    expect(h.events.filter((e) => e.type === 'lockout' && e.reason === 'suspended')).toHaveLength(1);

    await h.mfa.reset('user-1', { actor: 'admin', reason: 'user called support' });
    const again = await h.mfa.beginEnrollment('user-1', { account: 'jane' });
    expect((await h.mfa.confirmEnrollment('user-1', codeAt(again.secret, h.clock.t))).ok).toBe(true);
    h.clock.t += STEP;
    expect((await h.mfa.verify('user-1', codeAt(again.secret, h.clock.t))).ok).toBe(true);
  });

  it('follows a custom policy', async () => {
    const h = harness({ policy: { throttle: { freeFailures: 2, baseLockMs: 1000, maxLockMs: 1500, suspendAfter: 4 } } });
    const { secret } = await enroll(h);
    const retries = [];
    for (let i = 0; i < 4; i++) {
      const r = await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
      retries.push(r.ok ? 'ok' : (r.retryAfterMs ?? null));
      h.clock.t += 1500;
    }
    expect(retries).toEqual([null, 1000, 1500, null]);
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'suspended' });
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

  it('N parallel wrong guesses: at most 5 are checked, the rest are locked', async () => {
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
    const codes = winners[0]?.ok ? winners[0].recoveryCodes : [];
    expect((await h.mfa.verify('u1', codes[0] as string)).ok).toBe(true);
  });
});
