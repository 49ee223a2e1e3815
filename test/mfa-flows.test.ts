import { describe, expect, it } from 'vitest';
import { isMfaError, normalizeRecoveryCode, parseOtpauthUri } from '../src/index.js';
import { codeAt, enroll, harness, reverifyWith, STEP, T0, wrongCode } from './mfa-fixtures.js';

describe('enrolment', () => {
  it('begins with a secret and a URI, pending for 15 minutes', async () => {
    const h = harness();
    const r = await h.mfa.beginEnrollment('u1', { account: 'jane@example.com' });
    expect(r.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(r.expiresAt).toBe(T0 + 15 * 60_000);
    expect(parseOtpauthUri(r.uri)).toMatchObject({ type: 'totp', issuer: 'ACME', account: 'jane@example.com', secret: r.secret, digits: 6, period: 30 });
    expect(r.factorId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await h.mfa.status('u1')).toMatchObject({ state: 'pending', recoveryCodesRemaining: 0 });
    const [stored] = (await h.store.getUser('u1')).factors;
    expect(stored).toMatchObject({ id: r.factorId, kind: 'totp', label: 'Authenticator app', state: 'pending', counter: -1, expiresAt: T0 + 900_000, lastUsedAt: null });
    expect(stored?.secret).not.toContain(r.secret);
  });

  it('confirms with the first code and returns 10 recovery codes, shown once', async () => {
    const h = harness();
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    h.clock.t += 5_000;
    const r = await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.recoveryCodes).toHaveLength(10);
    expect(new Set(r.recoveryCodes).size).toBe(10);
    for (const c of r.recoveryCodes ?? []) expect(normalizeRecoveryCode(c)).toBe(c);
    expect(await h.mfa.status('u1')).toMatchObject({ state: 'active', enrolled: true, recoveryCodesRemaining: 10 });
  });

  it('claims the confirming step: the same code cannot sign in', async () => {
    const h = harness();
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    const code = codeAt(secret, h.clock.t);
    expect((await h.mfa.confirmEnrollment('u1', code)).ok).toBe(true);
    expect(await h.mfa.verify('u1', code)).toEqual({ ok: false, reason: 'replayed' });
    h.clock.t += STEP;
    expect(await h.mfa.verify('u1', codeAt(secret, h.clock.t))).toMatchObject({ ok: true, method: 'totp' });
  });

  it('refuses a wrong, malformed or missing confirmation', async () => {
    const h = harness();
    expect(await h.mfa.confirmEnrollment('u1', '123456')).toEqual({ ok: false, reason: 'not-enrolled' });
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    expect(await h.mfa.confirmEnrollment('u1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.confirmEnrollment('u1', 'abc')).toEqual({ ok: false, reason: 'malformed' });
    expect(await h.mfa.confirmEnrollment('u1', 42)).toEqual({ ok: false, reason: 'malformed' });
    expect(await h.mfa.status('u1')).toMatchObject({ state: 'pending' });
  });

  it('expires a pending enrolment after 15 minutes', async () => {
    const h = harness();
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    h.clock.t = T0 + 900_000;
    expect(await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'expired' });
    expect(await h.mfa.status('u1')).toMatchObject({ state: 'none' });
    const again = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    expect((await h.mfa.confirmEnrollment('u1', codeAt(again.secret, h.clock.t))).ok).toBe(true);
  });

  it('confirms 1 ms before the pending enrolment expires', async () => {
    const h = harness();
    const { secret } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    h.clock.t = T0 + 900_000 - 1;
    expect((await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).ok).toBe(true);
  });

  it('asked again for the same label while pending, returns the same secret: a reload keeps the scanned QR valid', async () => {
    const h = harness();
    const first = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    h.clock.t += 60_000;
    const again = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    expect(again).toEqual(first);
    expect(h.events.filter((e) => e.type === 'enrollment.started')).toHaveLength(1);
    expect((await h.mfa.confirmEnrollment('u1', codeAt(first.secret, h.clock.t))).ok).toBe(true);
  });

  it('restart: true replaces an unconfirmed enrolment with a new secret', async () => {
    const h = harness();
    const first = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    const second = await h.mfa.beginEnrollment('u1', { account: 'jane', restart: true });
    expect(second.secret).not.toBe(first.secret);
    expect(second.factorId).not.toBe(first.factorId);
    expect(await h.mfa.confirmEnrollment('u1', codeAt(first.secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect((await h.mfa.confirmEnrollment('u1', codeAt(second.secret, h.clock.t))).ok).toBe(true);
  });

  it('a confirmed enrolment cannot be confirmed twice', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u1');
    expect(await h.mfa.confirmEnrollment('u1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'not-enrolled' });
  });

  it('uses the configured TOTP parameters in the URI and the checks', async () => {
    const h = harness({ totp: { digits: 8, period: 60, algorithm: 'SHA256' } });
    const { secret, uri } = await h.mfa.beginEnrollment('u1', { account: 'jane' });
    expect(parseOtpauthUri(uri)).toMatchObject({ digits: 8, period: 60, algorithm: 'SHA256' });
    const { generateTotp } = await import('../src/index.js');
    const code = generateTotp(secret, { now: h.clock.t, digits: 8, period: 60, algorithm: 'SHA256' });
    expect(code).toHaveLength(8);
    expect(await h.mfa.confirmEnrollment('u1', code.slice(0, 6))).toEqual({ ok: false, reason: 'malformed' });
    expect((await h.store.getUser('u1')).factors[0]?.meta).toBe('{"algorithm":"SHA256","digits":8,"period":60}');
    expect((await h.mfa.confirmEnrollment('u1', code)).ok).toBe(true);
  });
});

describe('sign-in', () => {
  it('accepts a fresh TOTP code once, then later steps only', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const code = codeAt(secret, h.clock.t);
    const [factor] = await h.mfa.listFactors('user-1');
    expect(await h.mfa.verify('user-1', code)).toEqual({ ok: true, method: 'totp', factorId: factor?.id, remainingRecoveryCodes: 10 });
    expect(await h.mfa.verify('user-1', code)).toEqual({ ok: false, reason: 'replayed' });
    // The previous step's code is still in the window, but older than the accepted one.
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t - STEP))).toEqual({ ok: false, reason: 'replayed' });
    h.clock.t += STEP;
    expect((await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).ok).toBe(true);
  });

  it('accepts ±1 step of drift and nothing further', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    h.clock.t += 10 * STEP;
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t + 2 * STEP))).toMatchObject({ ok: false, reason: 'mismatch' });
    expect((await h.mfa.verify('user-1', codeAt(secret, h.clock.t - STEP))).ok).toBe(true);
    expect((await h.mfa.verify('user-1', codeAt(secret, h.clock.t + STEP))).ok).toBe(true);
  });

  it('refuses a wrong code', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts a recovery code exactly once, however it is typed', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h);
    const [a, b] = recoveryCodes as [string, string];
    expect(await h.mfa.verify('user-1', a)).toEqual({ ok: true, method: 'recovery', remainingRecoveryCodes: 9 });
    expect(await h.mfa.verify('user-1', a)).toEqual({ ok: false, reason: 'mismatch' });
    const typed = ` ${b.toLowerCase().replace(/-/g, ' ')} `.replace(/0/g, 'o').replace(/1/g, 'l');
    expect(await h.mfa.verify('user-1', typed)).toEqual({ ok: true, method: 'recovery', remainingRecoveryCodes: 8 });
    expect(await h.mfa.status('user-1')).toMatchObject({ recoveryCodesRemaining: 8 });
  });

  it('refuses a recovery code of another user', async () => {
    const h = harness();
    const one = await enroll(h, 'user-1');
    await enroll(h, 'user-2');
    expect(await h.mfa.verify('user-2', one.recoveryCodes[0] as string)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.status('user-1')).toMatchObject({ recoveryCodesRemaining: 10 });
  });

  it('answers not-enrolled without a factor or with a pending one', async () => {
    const h = harness();
    expect(await h.mfa.verify('nobody', '123456')).toEqual({ ok: false, reason: 'not-enrolled' });
    await h.mfa.beginEnrollment('pending', { account: 'p' });
    expect(await h.mfa.verify('pending', '123456')).toEqual({ ok: false, reason: 'not-enrolled' });
    expect((await h.store.getUser('pending')).attempts).toEqual({ failures: 0, lockedUntil: null });
    expect((await h.store.getUser('nobody')).factors).toEqual([]);
  });

  it('answers malformed input with a result, never an exception, and charges no attempt', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h);
    const inputs: unknown[] = [
      '', ' ', 'abc', '12345', '1234567', '12 34 5', '１２３４５６', '٠١٢٣٤٥', '12345６', '123456\u0000',
      'x'.repeat(1_000_000), '1'.repeat(100_000), `${recoveryCodes[0]}X`, (recoveryCodes[0] as string).slice(0, -1), 'U'.repeat(24),
      null, undefined, 123456, 1.5, {}, [], ['123456'], Symbol('x'), () => '123456', new String('123456'), BigInt(123456), true, NaN,
    ];
    for (const input of inputs) {
      expect(await h.mfa.verify('user-1', input), String(typeof input)).toEqual({ ok: false, reason: 'malformed' });
      // 7 digits could be a code of some authenticator: only the factors can tell (there are none pending).
      expect(await h.mfa.confirmEnrollment('user-1', input)).toEqual({ ok: false, reason: input === '1234567' ? 'not-enrolled' : 'malformed' });
    }
    expect((await h.store.getUser('user-1')).attempts).toEqual({ failures: 0, lockedUntil: null });
  });

  it('throws TypeError for a bad user id (a caller mistake)', async () => {
    const h = harness();
    for (const id of ['', 'x'.repeat(256), 'é'.repeat(128), 'a\u0000b', 'a\ud800b', '\udc00', 42, null, undefined]) {
      await expect(h.mfa.verify(id as string, '123456')).rejects.toThrow(TypeError);
    }
  });
});

describe('recovery codes, disable and reset', () => {
  it('regenerateRecoveryCodes replaces the whole set at once', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h);
    await h.mfa.verify('user-1', recoveryCodes[0] as string);
    const r = await h.mfa.regenerateRecoveryCodes('user-1', reverifyWith(h, secret));
    if (!r.ok) throw new Error(r.reason);
    const fresh = r.recoveryCodes;
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => recoveryCodes.includes(c))).toBe(false);
    expect(await h.mfa.status('user-1')).toMatchObject({ recoveryCodesRemaining: 10 });
    expect(await h.mfa.verify('user-1', recoveryCodes[1] as string)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('user-1', fresh[0] as string)).toMatchObject({ ok: true, remainingRecoveryCodes: 9 });
  });

  it('regenerateRecoveryCodes needs an active factor', async () => {
    const h = harness();
    await expect(h.mfa.regenerateRecoveryCodes('u1')).rejects.toSatisfy((e) => isMfaError(e, 'NOT_ENROLLED'));
    await h.mfa.beginEnrollment('u1', { account: 'a' });
    await expect(h.mfa.regenerateRecoveryCodes('u1')).rejects.toSatisfy((e) => isMfaError(e, 'NOT_ENROLLED'));
  });

  it('disable removes the factor, the codes and the attempts', async () => {
    const h = harness();
    const { secret, recoveryCodes } = await enroll(h);
    await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    expect(await h.mfa.disable('user-1', reverifyWith(h, secret))).toEqual({ ok: true, disabled: true });
    expect(await h.mfa.status('user-1')).toEqual({ state: 'none', enrolled: false, required: false, mustEnroll: false, factors: [], recoveryCodesRemaining: 0, warnings: [] });
    expect(await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(await h.mfa.verify('user-1', recoveryCodes[0] as string)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect((await h.store.getUser('user-1')).attempts).toEqual({ failures: 0, lockedUntil: null });
    expect(await h.mfa.disable('user-1')).toEqual({ ok: true, disabled: false });
    expect(h.events.filter((e) => e.type === 'mfa.disabled')).toHaveLength(1);
  });

  it('reset by an administrator allows a fresh enrolment and records who and why', async () => {
    const h = harness();
    await enroll(h);
    expect(await h.mfa.reset('user-1', { actor: 'admin-7', reason: 'lost phone' })).toBe(true);
    expect(await h.mfa.status('user-1')).toMatchObject({ state: 'none' });
    expect(h.events.at(-1)).toEqual({ type: 'mfa.reset', userId: 'user-1', at: h.clock.t, actor: 'admin-7', reason: 'lost phone' });
    const again = await h.mfa.beginEnrollment('user-1', { account: 'jane' });
    expect((await h.mfa.confirmEnrollment('user-1', codeAt(again.secret, h.clock.t))).ok).toBe(true);
    await expect(h.mfa.reset('user-1', { actor: '', reason: 'x' })).rejects.toThrow(TypeError);
    await expect(h.mfa.reset('user-1', { actor: 'a' } as never)).rejects.toThrow(TypeError);
  });
});
