import { describe, expect, it } from 'vitest';
import { createMemoryStore, createMfa, isMfaError, type MfaStore } from '../src/index.js';
import { codeAt, enroll, harness, reverifyWith, STEP, T0, wrongCode } from './mfa-fixtures.js';

type Method = Exclude<keyof MfaStore, 'supports'>;

/**
 * A MemoryStore whose named methods fail while `broken` holds them: before the
 * step (`before`: nothing was written, as a dropped connection) or after it
 * (`after`: the step was applied and the reply was lost).
 */
function breakable() {
  const inner = createMemoryStore();
  const broken = new Map<Method, 'before' | 'after' | 'sync'>();
  const store = { supports: inner.supports } as Record<string, unknown>;
  for (const [name, value] of Object.entries(inner)) {
    if (typeof value !== 'function') continue;
    store[name] = (...args: unknown[]) => {
      const how = broken.get(name as Method);
      const err = new Error(`connection reset during ${name}`);
      if (how === 'sync') throw err;
      if (how === 'before') return Promise.reject(err);
      const result = (value as (...a: unknown[]) => Promise<unknown>)(...args);
      return how === 'after' ? result.then(() => Promise.reject(err)) : result;
    };
  }
  return { store: store as unknown as MfaStore, inner, broken };
}

const unavailable = (e: unknown) => isMfaError(e, 'STORE_UNAVAILABLE') && (e as Error).cause instanceof Error;

describe('a failing store is STORE_UNAVAILABLE, never a success', () => {
  for (const how of ['before', 'sync'] as const) {
    it(`verify with a right TOTP code: each store method it uses fails (${how})`, async () => {
      for (const method of ['beginAttempt', 'advanceCounter'] as const) {
        const { store, inner, broken } = breakable();
        const h = harness({ store });
        const { secret } = await enroll(h, 'u');
        broken.set(method, how);
        await expect(h.mfa.verify('u', codeAt(secret, h.clock.t)), method).rejects.toSatisfy(unavailable);
        // The attempt was not the user's guess: its reservation was given back.
        expect((await inner.getUser('u')).attempts.failures, method).toBe(0);
        broken.clear();
        expect((await h.mfa.verify('u', codeAt(secret, h.clock.t))).ok, method).toBe(true);
      }
    });

    it(`verify with a recovery code: each store method it uses fails (${how}), and the code stays usable`, async () => {
      for (const method of ['beginAttempt', 'consumeRecoveryCode'] as const) {
        const { store, inner, broken } = breakable();
        const h = harness({ store });
        const { recoveryCodes } = await enroll(h, 'u');
        broken.set(method, how);
        await expect(h.mfa.verify('u', recoveryCodes[0] as string), method).rejects.toSatisfy(unavailable);
        expect((await inner.getUser('u')).attempts.failures, method).toBe(0);
        broken.clear();
        expect(await h.mfa.verify('u', recoveryCodes[0] as string)).toMatchObject({ ok: true, remainingRecoveryCodes: 9 });
      }
    });
  }

  it('a failed confirmation leaves the enrolment pending and confirmable: no half-enrolled user', async () => {
    for (const method of ['beginAttempt', 'activateFactor'] as const) {
      const { store, inner, broken } = breakable();
      const h = harness({ store });
      const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
      broken.set(method, 'before');
      await expect(h.mfa.confirmEnrollment('u', codeAt(secret, T0)), method).rejects.toSatisfy(unavailable);
      broken.clear();
      expect(await h.mfa.status('u')).toMatchObject({ state: 'pending', recoveryCodesRemaining: 0 });
      expect((await inner.getUser('u')).attempts.failures).toBe(0);
      const r = await h.mfa.confirmEnrollment('u', codeAt(secret, T0));
      expect(r).toMatchObject({ ok: true, recoveryCodes: expect.any(Array) });
    }
  });

  it('the decisive write carries its consequences: no call after it can fail the sign-in', async () => {
    const { store, inner, broken } = breakable();
    const h = harness({ store });
    const { secret, recoveryCodes } = await enroll(h, 'u');
    await h.mfa.verify('u', wrongCode(secret, h.clock.t));
    // Everything but the two steps of a sign-in is broken: it still succeeds and clears the failure.
    for (const m of ['getUser', 'refundAttempt', 'replaceRecoveryCodes', 'resealFactor', 'deleteUser'] as const) broken.set(m, 'before');
    expect(await h.mfa.verify('u', codeAt(secret, h.clock.t))).toMatchObject({ ok: true, remainingRecoveryCodes: 10 });
    expect(await h.mfa.verify('u', recoveryCodes[0] as string)).toMatchObject({ ok: true, remainingRecoveryCodes: 9 });
    broken.clear();
    expect((await inner.getUser('u')).attempts.failures).toBe(0);
  });

  it('enrolment, regeneration, disable, reset and status when the store fails', async () => {
    const { store, broken } = breakable();
    const h = harness({ store });
    broken.set('putPendingFactor', 'before');
    await expect(h.mfa.beginEnrollment('u', { account: 'a' })).rejects.toSatisfy(unavailable);
    broken.clear();
    const { secret } = await enroll(h, 'u');
    broken.set('replaceRecoveryCodes', 'before');
    await expect(h.mfa.regenerateRecoveryCodes('u', reverifyWith(h, secret))).rejects.toSatisfy(unavailable);
    broken.set('getUser', 'before');
    await expect(h.mfa.status('u')).rejects.toSatisfy(unavailable);
    await expect(h.mfa.listFactors('u')).rejects.toSatisfy(unavailable);
    broken.set('deleteUser', 'before');
    await expect(h.mfa.disable('u', reverifyWith(h, secret))).rejects.toSatisfy(unavailable);
    await expect(h.mfa.reset('u', { actor: 'a', reason: 'r' })).rejects.toSatisfy(unavailable);
    broken.clear();
    expect(await h.mfa.status('u')).toMatchObject({ state: 'active', recoveryCodesRemaining: 10 });
    expect(h.events.some((e) => e.type === 'mfa.disabled' || e.type === 'mfa.reset' || e.type === 'recovery.regenerated')).toBe(false);
  });

  it('re-encryption under a new key that fails does not fail the sign-in; the next use tries again', async () => {
    const { store, inner, broken } = breakable();
    const k1 = crypto.getRandomValues(new Uint8Array(32));
    const k2 = crypto.getRandomValues(new Uint8Array(32));
    const clock = { t: T0 };
    const old = createMfa({ store, issuer: 'ACME', secretKeys: { current: 'k1', keys: { k1 } }, now: () => clock.t });
    const { secret } = await old.beginEnrollment('u', { account: 'a' });
    await old.confirmEnrollment('u', codeAt(secret, T0));
    const rotated = createMfa({ store, issuer: 'ACME', secretKeys: { current: 'k2', keys: { k1, k2 } }, now: () => clock.t, secretCacheSize: 0 });
    clock.t += STEP;
    broken.set('resealFactor', 'before');
    expect((await rotated.verify('u', codeAt(secret, clock.t))).ok).toBe(true);
    expect((await inner.getUser('u')).factors[0]?.secret.startsWith('v2.k1.')).toBe(true);
    broken.clear();
    clock.t += STEP;
    expect((await rotated.verify('u', codeAt(secret, clock.t))).ok).toBe(true);
    expect((await inner.getUser('u')).factors[0]?.secret.startsWith('v2.k2.')).toBe(true);
  });

  it('the error names the failing method and keeps the cause, without secrets', async () => {
    const { store, broken } = breakable();
    const h = harness({ store });
    const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
    broken.set('beginAttempt', 'before');
    const code = codeAt(secret, T0);
    const err = (await h.mfa.confirmEnrollment('u', code).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/beginAttempt/);
    expect((err.cause as Error).message).toBe('connection reset during beginAttempt');
    expect(err.message).not.toContain(code);
    expect(err.message).not.toContain(secret);
  });

  it('a missing table says to run store.migrate()', async () => {
    const memory = createMemoryStore();
    const missing = Object.assign(new Error('relation "mfakit_factors" does not exist'), { code: '42P01' });
    const store: MfaStore = { ...memory, getUser: () => Promise.reject(missing) };
    const h = harness({ store });
    await expect(h.mfa.status('u')).rejects.toSatisfy((e) => unavailable(e) && /run store\.migrate\(\)/.test((e as Error).message));
    const other: MfaStore = { ...memory, getUser: () => Promise.reject(new Error('ECONNRESET')) };
    await expect(harness({ store: other }).mfa.status('u')).rejects.toSatisfy((e) => unavailable(e) && !/migrate/.test((e as Error).message));
  });
});
