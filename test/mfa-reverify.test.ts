// Re-verification before changes to the second factor (OWASP MFA Cheat Sheet:
// require an existing factor to change factors), through the sign-in pipeline.
import { describe, expect, it } from 'vitest';
import { isMfaError } from '../src/index.js';
import { codeAt, enroll, harness, reverifyWith, wrongCode, type Harness } from './mfa-fixtures.js';

/** The five re-verified changes, each as a call with the given options. */
function changes(h: Harness, factorId: string) {
  return {
    removeFactor: (opts?: { code?: unknown }) => h.mfa.removeFactor('u', factorId, opts),
    disable: (opts?: { code?: unknown }) => h.mfa.disable('u', opts),
    regenerateRecoveryCodes: (opts?: { code?: unknown }) => h.mfa.regenerateRecoveryCodes('u', opts),
    revokeAllDevices: (opts?: { code?: unknown }) => h.mfa.revokeAllDevices('u', opts),
    viewRecoveryCodes: (opts?: { code?: unknown }) => h.mfa.viewRecoveryCodes('u', opts),
  };
}

const viewable = { recoveryCodes: { viewable: true } } as const;

describe('re-verification (policy reverify: "code", the default)', () => {
  for (const name of ['removeFactor', 'disable', 'regenerateRecoveryCodes', 'revokeAllDevices', 'viewRecoveryCodes'] as const) {
    it(`${name} is refused without a code, and changes nothing`, async () => {
      const h = harness(viewable);
      const { factorId, recoveryCodes } = await enroll(h, 'u');
      await h.mfa.rememberDevice('u', { label: 'laptop' });
      const before = h.store.dump();
      expect(await changes(h, factorId)[name]()).toEqual({ ok: false, reason: 'reverify-required' });
      expect(await changes(h, factorId)[name]({ code: undefined })).toEqual({ ok: false, reason: 'reverify-required' });
      expect(h.store.dump()).toBe(before);
      expect(await h.mfa.status('u')).toMatchObject({ state: 'active', recoveryCodesRemaining: recoveryCodes.length });
    });

    it(`${name} goes ahead with a current code, which cannot be used again`, async () => {
      const h = harness(viewable);
      const { factorId, secret } = await enroll(h, 'u');
      const code = codeAt(secret, h.clock.t);
      expect(await changes(h, factorId)[name]({ code })).toMatchObject({ ok: true });
      // The code's step is spent: neither a second change nor a sign-in takes it.
      if (name !== 'removeFactor' && name !== 'disable') {
        expect(await changes(h, factorId)[name]({ code })).toEqual({ ok: false, reason: 'replayed' });
        expect(await h.mfa.verify('u', code)).toEqual({ ok: false, reason: 'replayed' });
      }
    });
  }

  it('a wrong code is a counted failure, and five lock the changes as they lock sign-in', async () => {
    const h = harness();
    const { secret, factorId } = await enroll(h, 'u');
    for (let i = 0; i < 4; i++) expect(await h.mfa.disable('u', { code: wrongCode(secret, h.clock.t) })).toEqual({ ok: false, reason: 'mismatch' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(4);
    expect(await h.mfa.removeFactor('u', factorId, { code: wrongCode(secret, h.clock.t) })).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.regenerateRecoveryCodes('u', { code: codeAt(secret, h.clock.t) })).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    expect(await h.mfa.verify('u', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 30_000;
    expect(await h.mfa.disable('u', { code: codeAt(secret, h.clock.t) })).toEqual({ ok: true, disabled: true });
  });

  it('a malformed code is answered without an attempt; a recovery code works and is spent', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h, 'u');
    for (const code of ['', '12345', 'abc', 42, null, {}]) expect(await h.mfa.disable('u', { code })).toEqual({ ok: false, reason: 'malformed' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
    const r = await h.mfa.regenerateRecoveryCodes('u', { code: recoveryCodes[3] });
    expect(r).toMatchObject({ ok: true });
    expect(await h.mfa.verify('u', recoveryCodes[4] as string)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.disable('u', { code: recoveryCodes[3] })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('a code of any active authenticator re-verifies, and the answer says nothing about which', async () => {
    const h = harness();
    const a = await enroll(h, 'u', 'phone');
    const b = await enroll(h, 'u', 'tablet');
    expect(await h.mfa.removeFactor('u', a.factorId, reverifyWith(h, b.secret))).toEqual({ ok: true, removed: true, disabled: false });
    expect(await h.mfa.removeFactor('u', b.factorId, reverifyWith(h, a.secret))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('needs no code where nothing could be proved: no active factor, or cancelling a pending enrolment', async () => {
    const h = harness();
    expect(await h.mfa.disable('nobody')).toEqual({ ok: true, disabled: false });
    const pending = await h.mfa.beginEnrollment('p', { account: 'p@example.com' });
    expect(await h.mfa.removeFactor('p', pending.factorId)).toMatchObject({ ok: true, removed: true });
    await enroll(h, 'u');
    const second = await h.mfa.beginEnrollment('u', { account: 'u@example.com', label: 'second' });
    expect(await h.mfa.removeFactor('u', second.factorId)).toEqual({ ok: true, removed: true, disabled: false });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'active' });
    // A code given for a user with nothing to check it against does not block the change.
    expect(await h.mfa.disable('nobody', { code: '123456' })).toEqual({ ok: true, disabled: false });
  });

  it('reset by an administrator never needs a code', async () => {
    const h = harness();
    await enroll(h, 'u');
    expect(await h.mfa.reset('u', { actor: 'admin', reason: 'lost phone' })).toBe(true);
    expect(await h.mfa.status('u')).toMatchObject({ state: 'none' });
  });

  it('a suspended user cannot re-verify: only an administrator can help', async () => {
    const h = harness({ policy: { throttle: { locks: [0], suspendAfter: 3 } } });
    const { secret } = await enroll(h, 'u');
    for (let i = 0; i < 3; i++) await h.mfa.verify('u', wrongCode(secret, h.clock.t));
    expect(await h.mfa.disable('u', { code: codeAt(secret, h.clock.t) })).toEqual({ ok: false, reason: 'suspended' });
  });

  it('emits the sign-in events of the code, never the code', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u');
    const wrong = wrongCode(secret, h.clock.t);
    const right = codeAt(secret, h.clock.t);
    await h.mfa.disable('u', { code: wrong });
    await h.mfa.disable('u', { code: right });
    const types = h.events.map((e) => e.type);
    expect(types.slice(-3)).toEqual(['verify.failed', 'verify.succeeded', 'mfa.disabled']);
    const json = JSON.stringify(h.events);
    expect(json).not.toContain(wrong);
    expect(json).not.toContain(right);
  });

  it('refuses options that are not an object with a TypeError', async () => {
    const h = harness();
    const { factorId } = await enroll(h, 'u');
    for (const bad of ['123456', 42, null, true]) {
      await expect(h.mfa.disable('u', bad as never)).rejects.toThrow(TypeError);
      await expect(h.mfa.removeFactor('u', factorId, bad as never)).rejects.toThrow(TypeError);
    }
  });
});

describe('policy reverify: "host"', () => {
  it('lets the change through without a code (the host re-verified), and still checks a code given', async () => {
    const h = harness({ policy: { reverify: 'host' } });
    const { secret } = await enroll(h, 'u');
    expect(await h.mfa.revokeAllDevices('u')).toEqual({ ok: true, revoked: 0 });
    expect(await h.mfa.regenerateRecoveryCodes('u', { code: wrongCode(secret, h.clock.t) })).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.regenerateRecoveryCodes('u')).toMatchObject({ ok: true });
    expect(await h.mfa.disable('u')).toEqual({ ok: true, disabled: true });
  });

  it('is the only other value', () => {
    for (const reverify of ['none', '', 0, true, 'CODE']) {
      expect(() => harness({ policy: { reverify: reverify as never } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});

describe('viewRecoveryCodes without the opt-in', () => {
  it('is INVALID_CONFIG, before any store call', async () => {
    const h = harness();
    await enroll(h, 'u');
    await expect(h.mfa.viewRecoveryCodes('u')).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
  });
});
