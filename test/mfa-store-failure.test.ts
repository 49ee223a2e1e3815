import { describe, expect, it } from 'vitest';
import { createMfa, isMfaError, MemoryStore, type MfaStore } from '../src/index.js';
import { codeAt, harness, STEP, T0 } from './mfa-fixtures.js';

type Method = keyof MfaStore;

/** A MemoryStore whose named methods fail (reject, or throw synchronously) while `broken` holds them. */
function breakable(sync = false) {
  const inner = new MemoryStore();
  const broken = new Set<Method>();
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (broken.has(prop as Method)) {
          const err = new Error(`connection reset during ${String(prop)}`);
          if (sync) throw err;
          return Promise.reject(err);
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, broken };
}

const unavailable = (e: unknown) => isMfaError(e, 'STORE_UNAVAILABLE') && (e as Error).cause instanceof Error;

describe('a failing store is STORE_UNAVAILABLE, never a success', () => {
  for (const sync of [false, true]) {
    const how = sync ? 'throws synchronously' : 'rejects';

    it(`verify with a right TOTP code: each store method it uses ${how}`, async () => {
      for (const method of ['getFactor', 'reserveAttempt', 'claimStep', 'clearFailures', 'countRecoveryCodes'] as const) {
        const { store, broken } = breakable(sync);
        const h = harness({ store });
        const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
        await h.mfa.confirmEnrollment('u', codeAt(secret, T0));
        h.clock.t += STEP;
        broken.add(method);
        await expect(h.mfa.verify('u', codeAt(secret, h.clock.t)), method).rejects.toSatisfy(unavailable);
      }
    });

    it(`verify with a recovery code: each store method it uses ${how}`, async () => {
      for (const method of ['getFactor', 'reserveAttempt', 'consumeRecoveryCode', 'clearFailures', 'countRecoveryCodes'] as const) {
        const { store, broken } = breakable(sync);
        const h = harness({ store });
        const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
        const r = await h.mfa.confirmEnrollment('u', codeAt(secret, T0));
        broken.add(method);
        await expect(h.mfa.verify('u', r.ok ? (r.recoveryCodes[0] as string) : ''), method).rejects.toSatisfy(unavailable);
      }
    });

    it(`enrolment, regeneration, disable, reset and status when the store ${how}`, async () => {
      const { store, broken } = breakable(sync);
      const h = harness({ store });
      broken.add('putPendingFactor');
      await expect(h.mfa.beginEnrollment('u', { account: 'a' })).rejects.toSatisfy(unavailable);
      broken.clear();
      const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
      for (const method of ['getFactor', 'activateFactor'] as const) {
        broken.add(method);
        await expect(h.mfa.confirmEnrollment('u', codeAt(secret, T0)), method).rejects.toSatisfy(unavailable);
        broken.clear();
      }
      expect(await h.mfa.status('u')).toMatchObject({ state: 'pending' });
      expect((await h.mfa.confirmEnrollment('u', codeAt(secret, T0))).ok).toBe(true);
      for (const method of ['getFactor', 'replaceRecoveryCodes'] as const) {
        broken.add(method);
        await expect(h.mfa.regenerateRecoveryCodes('u'), method).rejects.toSatisfy(unavailable);
        broken.clear();
      }
      for (const method of ['getFactor', 'getAttempts', 'countRecoveryCodes'] as const) {
        broken.add(method);
        await expect(h.mfa.status('u'), method).rejects.toSatisfy(unavailable);
        broken.clear();
      }
      broken.add('deleteUser');
      await expect(h.mfa.disable('u')).rejects.toSatisfy(unavailable);
      await expect(h.mfa.reset('u', { actor: 'a', reason: 'r' })).rejects.toSatisfy(unavailable);
      broken.clear();
      expect(await h.mfa.status('u')).toMatchObject({ state: 'active' });
      expect(h.events.some((e) => e.type === 'mfa.disabled' || e.type === 'mfa.reset')).toBe(false);
    });
  }

  it('re-encryption under a new key that fails is STORE_UNAVAILABLE before the code is checked', async () => {
    const { store, broken } = breakable();
    const k1 = crypto.getRandomValues(new Uint8Array(32));
    const k2 = crypto.getRandomValues(new Uint8Array(32));
    const clock = { t: T0 };
    const old = createMfa({ store, issuer: 'ACME', secretKeys: { current: 'k1', keys: { k1 } }, now: () => clock.t });
    const { secret } = await old.beginEnrollment('u', { account: 'a' });
    await old.confirmEnrollment('u', codeAt(secret, T0));
    const rotated = createMfa({ store, issuer: 'ACME', secretKeys: { current: 'k2', keys: { k1, k2 } }, now: () => clock.t });
    clock.t += STEP;
    broken.add('updateFactorSecret');
    await expect(rotated.verify('u', codeAt(secret, clock.t))).rejects.toSatisfy(unavailable);
    broken.clear();
    expect((await rotated.verify('u', codeAt(secret, clock.t))).ok).toBe(true);
  });

  it('the error names the failing method and keeps the cause, without secrets', async () => {
    const { store, broken } = breakable();
    const h = harness({ store });
    const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
    broken.add('getFactor');
    const code = codeAt(secret, T0);
    const err = (await h.mfa.confirmEnrollment('u', code).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/getFactor/);
    expect((err.cause as Error).message).toBe('connection reset during getFactor');
    expect(err.message).not.toContain(code);
    expect(err.message).not.toContain(secret);
  });
});
