// Several authenticators per user (DESIGN "The stateful layer"; AWS IAM allows 8).
import { describe, expect, it } from 'vitest';
import { createMemoryStore, isMfaError, type MfaStore } from '../src/index.js';
import { codeAt, enroll, harness, reverifyWith, STEP, wrongCode } from './mfa-fixtures.js';

describe('several authenticators per user', () => {
  it('signs in with a code from any of them and says which', async () => {
    const h = harness();
    const phone = await enroll(h, 'u', 'iPhone');
    const tablet = await enroll(h, 'u', 'iPad');
    expect(tablet.recoveryCodes).toEqual([]);
    expect(await h.mfa.verify('u', codeAt(phone.secret, h.clock.t))).toMatchObject({ ok: true, method: 'totp', factorId: phone.factorId });
    expect(await h.mfa.verify('u', codeAt(tablet.secret, h.clock.t))).toMatchObject({ ok: true, method: 'totp', factorId: tablet.factorId });
    // Each keeps its own last step: the phone's step does not make the tablet's code a replay, and vice versa.
    expect(await h.mfa.verify('u', codeAt(phone.secret, h.clock.t))).toEqual({ ok: false, reason: 'replayed' });
    const list = await h.mfa.listFactors('u');
    expect(list.map((f) => [f.label, f.state, f.lastUsedAt])).toEqual([
      ['iPhone', 'active', h.clock.t],
      ['iPad', 'active', h.clock.t],
    ]);
    expect(JSON.stringify(list)).not.toContain(phone.secret);
  });

  it('issues recovery codes with the first factor only, one set per user', async () => {
    const h = harness();
    const first = await enroll(h, 'u', 'one');
    expect(first.recoveryCodes).toHaveLength(10);
    const { secret } = await h.mfa.beginEnrollment('u', { account: 'a', label: 'two' });
    const r = await h.mfa.confirmEnrollment('u', codeAt(secret, h.clock.t));
    expect(r).toEqual({ ok: true, factorId: expect.any(String) });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'active', recoveryCodesRemaining: 10 });
    expect((await h.mfa.verify('u', first.recoveryCodes[0] as string)).ok).toBe(true);
  });

  it('a second enrolment while signed in keeps the first authenticator working', async () => {
    const h = harness();
    const phone = await enroll(h, 'u', 'iPhone');
    const pending = await h.mfa.beginEnrollment('u', { account: 'a', label: 'Work phone' });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'active' });
    expect((await h.mfa.status('u')).factors.map((f) => f.state)).toEqual(['active', 'pending']);
    expect((await h.mfa.verify('u', codeAt(phone.secret, h.clock.t))).ok).toBe(true);
    // A pending factor's code is not a sign-in.
    h.clock.t += STEP;
    expect(await h.mfa.verify('u', codeAt(pending.secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it(`allows up to 8 (active and pending), then FACTOR_LIMIT`, async () => {
    const h = harness();
    for (let i = 0; i < 7; i++) await enroll(h, 'u', `app ${i}`);
    await h.mfa.beginEnrollment('u', { account: 'a', label: 'app 7' });
    await expect(h.mfa.beginEnrollment('u', { account: 'a', label: 'app 8' })).rejects.toSatisfy((e) => isMfaError(e, 'FACTOR_LIMIT'));
    // Asking again for the pending one is not a new factor.
    expect((await h.mfa.beginEnrollment('u', { account: 'a', label: 'app 7' })).factorId).toBeDefined();
    // An expired enrolment does not count.
    h.clock.t += 15 * 60_000;
    expect((await h.mfa.beginEnrollment('u', { account: 'a', label: 'app 8' })).factorId).toBeDefined();
    const small = harness({ maxFactors: 1 });
    await enroll(small, 'u');
    await expect(small.mfa.beginEnrollment('u', { account: 'a', label: 'second' })).rejects.toSatisfy((e) => isMfaError(e, 'FACTOR_LIMIT'));
  });

  it('renames and removes; removing the last active factor is disable', async () => {
    const h = harness();
    const a = await enroll(h, 'u', 'a');
    const b = await enroll(h, 'u', 'b');
    expect(await h.mfa.renameFactor('u', a.factorId, 'Old phone')).toBe(true);
    expect(await h.mfa.renameFactor('u', 'AAAAAAAAAAAAAAAAAAAAAA', 'x')).toBe(false);
    await expect(h.mfa.renameFactor('u', a.factorId, '')).rejects.toThrow(TypeError);
    await expect(h.mfa.renameFactor('u', a.factorId, 'tab\there')).rejects.toThrow(TypeError);
    expect((await h.mfa.listFactors('u')).map((f) => f.label)).toEqual(['Old phone', 'b']);

    expect(await h.mfa.removeFactor('u', a.factorId, reverifyWith(h, b.secret))).toEqual({ ok: true, removed: true, disabled: false });
    expect(await h.mfa.verify('u', codeAt(a.secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'active', recoveryCodesRemaining: 10 });
    expect(await h.mfa.removeFactor('u', b.factorId, reverifyWith(h, b.secret))).toEqual({ ok: true, removed: true, disabled: true });
    expect(await h.mfa.status('u')).toMatchObject({ state: 'none', recoveryCodesRemaining: 0, factors: [] });
    expect(await h.mfa.verify('u', a.recoveryCodes[0] as string)).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(await h.mfa.removeFactor('u', b.factorId)).toEqual({ ok: true, removed: false, disabled: false });
    expect(h.events.filter((e) => e.type === 'factor.removed').length).toBe(2);
    expect(h.events.filter((e) => e.type === 'mfa.disabled').length).toBe(1);
  });

  it('checks every factor: a wrong code costs one attempt, not one per factor', async () => {
    const h = harness();
    const a = await enroll(h, 'u', 'a');
    await enroll(h, 'u', 'b');
    await enroll(h, 'u', 'c');
    expect(await h.mfa.verify('u', wrongCode(a.secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(1);
  });
});

describe('a code in flight across an administrator reset and a re-enrolment', () => {
  it('cannot sign in: accepting a step is conditional on the factor that was checked', async () => {
    const memory = createMemoryStore();
    let pause: (() => Promise<void>) | null = null;
    const store: MfaStore = {
      ...memory,
      beginAttempt: async (...args) => {
        const r = await memory.beginAttempt(...args);
        if (pause !== null) await pause();
        return r;
      },
    };
    const h = harness({ store });
    const old = await enroll(h, 'u');
    const inFlightCode = codeAt(old.secret, h.clock.t);
    let fresh = '';
    pause = async () => {
      pause = null;
      // Between the load and the accept: the phone is reported lost, and the user enrols a new one.
      await h.mfa.reset('u', { actor: 'admin', reason: 'lost phone' });
      fresh = (await enroll(h, 'u')).factorId;
      h.clock.t -= STEP;
    };
    expect(await h.mfa.verify('u', inFlightCode)).toEqual({ ok: false, reason: 'replayed' });
    const [factor] = (await memory.getUser('u')).factors;
    expect(factor?.id).toBe(fresh);
  });
});

describe('the clock', () => {
  it('a fraction of a millisecond is rounded down; a clock beyond 2^53 or negative is refused', async () => {
    const h = harness();
    h.clock.t += 0.75;
    const { secret } = await enroll(h, 'u');
    expect((await h.store.getUser('u')).factors[0]?.createdAt).toBe(Math.floor(h.clock.t - STEP));
    expect((await h.mfa.verify('u', codeAt(secret, h.clock.t))).ok).toBe(true);
    for (const t of [2 ** 53, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      h.clock.t = t;
      await expect(h.mfa.verify('u', '123456'), String(t)).rejects.toThrow(TypeError);
    }
  });
});

describe('names that reach a store', () => {
  it('refuses lone surrogates, NUL and over-long UTF-8 the same way everywhere', async () => {
    const h = harness();
    const bad = ['a\ud800', '\udfffb', 'x\u0000', 'é'.repeat(128), 'x'.repeat(256)];
    for (const id of bad) {
      await expect(h.mfa.beginEnrollment(id, { account: 'a' })).rejects.toThrow(TypeError);
      await expect(h.mfa.status(id)).rejects.toThrow(TypeError);
      await expect(h.mfa.sendCode('u', { purpose: id, destination: 'd', send: () => {} })).rejects.toThrow(TypeError);
      await expect(h.mfa.verifyCode('u', { purpose: 'p', destination: id, code: '123456' })).rejects.toThrow(TypeError);
      await expect(h.store.getUser(id)).rejects.toThrow(TypeError);
    }
    // Up to 255 bytes, and any well-formed Unicode, is fine; ids differing only in a surrogate pair stay distinct.
    const long = 'é'.repeat(127);
    await enroll(h, long);
    await enroll(h, 'a\ud83d\ude00');
    expect(await h.mfa.status('a\ud83d\ude01')).toMatchObject({ state: 'none' });
    expect(await h.mfa.status(long)).toMatchObject({ state: 'active' });
  });
});
