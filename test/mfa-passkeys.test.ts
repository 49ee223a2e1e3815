// Passkeys (WebAuthn) as a second factor, in the same pipeline, budget and
// challenge as TOTP codes; answered by a software authenticator.
import { describe, expect, it } from 'vitest';
import { isMfaError } from '../src/index.js';
import { webauthn } from '../src/webauthn.js';
import { codeAt, enroll, harness, wrongCode, type Harness } from './mfa-fixtures.js';
import { SoftAuthenticator, type SoftCredential } from './passkey-authenticator.js';

const ORIGIN = 'http://localhost:5173';
const passkeys = webauthn({ rpId: 'localhost', rpName: 'ACME', origins: [ORIGIN] });
const device = new SoftAuthenticator(ORIGIN, 'localhost');

/** Registers a passkey for `userId`; returns the authenticator's credential and the confirmation's answer. */
async function addPasskey(h: Harness, userId: string, opts: { label?: string; counter?: number; fixed?: boolean } = {}) {
  const begun = await h.mfa.beginPasskeyRegistration(userId, { userName: `${userId}@example.com`, ...(opts.label === undefined ? {} : { label: opts.label }) });
  const { credential, response } = await device.register(begun.options, opts);
  const finished = await h.mfa.finishPasskeyRegistration(userId, response);
  if (!finished.ok) throw new Error(`registration failed: ${finished.reason}`);
  return { credential, factorId: finished.factorId, recoveryCodes: finished.recoveryCodes ?? [] };
}

const signInWith = async (h: Harness, userId: string, credential: SoftCredential, over: { origin?: string } = {}) =>
  device.assert(credential, (await h.mfa.beginPasskeySignIn(userId)).options, over);

describe('passkeys: registration', () => {
  it('registers a passkey as a factor: listed, with recovery codes when it is the first factor', async () => {
    const h = harness({ passkeys });
    const begun = await h.mfa.beginPasskeyRegistration('u', { userName: 'u@example.com', label: 'MacBook' });
    expect(begun.options).toMatchObject({ rp: { id: 'localhost', name: 'ACME' }, attestation: 'none', excludeCredentials: [] });
    expect(JSON.stringify(begun.options)).not.toContain('"u"');
    expect((await h.mfa.listFactors('u'))[0]).toMatchObject({ kind: 'webauthn', label: 'MacBook', state: 'pending' });
    const { response } = await device.register(begun.options, { counter: 3 });
    const r = await h.mfa.finishPasskeyRegistration('u', response);
    expect(r).toMatchObject({ ok: true, factorId: begun.factorId });
    expect(r.ok && r.recoveryCodes).toHaveLength(10);
    expect(await h.mfa.status('u')).toMatchObject({ state: 'active', factors: [{ kind: 'webauthn', label: 'MacBook', state: 'active' }] });
    // The public key is sealed: the store holds no key material in the clear.
    const [factor] = (await h.store.getUser('u')).factors;
    expect(factor?.counter).toBe(3);
    expect(JSON.parse(factor?.meta ?? '{}')).toMatchObject({ counting: true, key: expect.stringMatching(/^v2\.k1\./) });
    expect(h.events.map((e) => e.type)).toEqual(['enrollment.started', 'verify.succeeded', 'enrollment.confirmed']);
  });

  it('a second passkey beside a TOTP factor gets no recovery codes, and excludes the passkeys already there', async () => {
    const h = harness({ passkeys });
    await enroll(h, 'u');
    const first = await addPasskey(h, 'u', { label: 'Phone' });
    expect(first.recoveryCodes).toEqual([]);
    const begun = await h.mfa.beginPasskeyRegistration('u', { userName: 'u@example.com', label: 'Key' });
    expect(begun.options).toMatchObject({ excludeCredentials: [{ id: first.credential.id }] });
    expect((await h.mfa.listFactors('u')).map((f) => `${f.kind}:${f.state}`)).toEqual(['totp:active', 'webauthn:active', 'webauthn:pending']);
  });

  it('refuses a response to another challenge, another user’s registration, a wrong origin, and malformed input', async () => {
    const h = harness({ passkeys });
    const mine = await h.mfa.beginPasskeyRegistration('u', { userName: 'u' });
    const theirs = await h.mfa.beginPasskeyRegistration('v', { userName: 'v' });
    expect(await h.mfa.finishPasskeyRegistration('u', (await device.register(theirs.options)).response)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.finishPasskeyRegistration('u', (await device.register(mine.options, { origin: 'http://localhost:9999' })).response)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.finishPasskeyRegistration('u', (await device.register(mine.options, { rpId: 'evil.example' })).response)).toEqual({ ok: false, reason: 'mismatch' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(3);
    for (const bad of [null, {}, { type: 'public-key' }, { id: 'x', type: 'public-key', response: { clientDataJSON: '!!' } }, '123456', []]) {
      expect(await h.mfa.finishPasskeyRegistration('u', bad)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect((await h.store.getUser('u')).attempts.failures).toBe(3);
    expect(await h.mfa.finishPasskeyRegistration('u', (await device.register(mine.options)).response)).toMatchObject({ ok: true });
  });

  it('answers expired after the registration ran out', async () => {
    const h = harness({ passkeys });
    const begun = await h.mfa.beginPasskeyRegistration('u', { userName: 'u' });
    h.clock.t += 16 * 60_000;
    expect(await h.mfa.finishPasskeyRegistration('u', (await device.register(begun.options)).response)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a TOTP enrolment under the label of a pending passkey registration replaces it', async () => {
    const h = harness({ passkeys });
    await h.mfa.beginPasskeyRegistration('u', { userName: 'u', label: 'Phone' });
    const { secret } = await h.mfa.beginEnrollment('u', { account: 'u', label: 'Phone' });
    expect((await h.mfa.listFactors('u')).map((f) => f.kind)).toEqual(['totp']);
    expect(await h.mfa.confirmEnrollment('u', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
  });
});

describe('passkeys: the second step', () => {
  it('signs in with an assertion; the same assertion again is replayed', async () => {
    const h = harness({ passkeys });
    const { credential, factorId } = await addPasskey(h, 'u', { counter: 1 });
    const assertion = await signInWith(h, 'u', credential);
    expect(await h.mfa.verify('u', assertion)).toEqual({ ok: true, method: 'webauthn', factorId, remainingRecoveryCodes: 10 });
    expect(await h.mfa.verify('u', assertion)).toEqual({ ok: false, reason: 'replayed' });
    expect((await h.store.getUser('u')).factors[0]?.counter).toBe(2);
    expect(h.events.filter((e) => e.type === 'verify.succeeded').at(-1)).toMatchObject({ method: 'webauthn', factorId });
  });

  it('a passkey that reports no counter (a synced passkey) signs in again and again', async () => {
    const h = harness({ passkeys });
    const { credential } = await addPasskey(h, 'u', { counter: 0, fixed: true });
    for (let i = 1; i <= 3; i++) {
      expect(await h.mfa.verify('u', await signInWith(h, 'u', credential))).toMatchObject({ ok: true, method: 'webauthn' });
      expect((await h.store.getUser('u')).factors[0]?.counter).toBe(i);
    }
  });

  it('refuses a cloned authenticator (its counter goes backwards) and reports it', async () => {
    const h = harness({ passkeys });
    const { credential, factorId } = await addPasskey(h, 'u', { counter: 5 });
    expect(await h.mfa.verify('u', await signInWith(h, 'u', credential))).toMatchObject({ ok: true });
    const clone: SoftCredential = { ...credential, counter: 3 };
    expect(await h.mfa.verify('u', await signInWith(h, 'u', clone))).toEqual({ ok: false, reason: 'mismatch' });
    expect(h.events.filter((e) => e.type === 'passkey.clone-suspected')).toEqual([{ type: 'passkey.clone-suspected', userId: 'u', at: h.clock.t, factorId }]);
    // One that counted at registration and now reports 0 is refused too (W3C WebAuthn §7.2 step 22).
    expect(await h.mfa.verify('u', await signInWith(h, 'u', { ...credential, counter: 0, fixed: true }))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('u', await signInWith(h, 'u', credential))).toMatchObject({ ok: true });
  });

  it('a challenge is single-use and expires; answers to a challenge that is gone cost nothing', async () => {
    const h = harness({ passkeys });
    const { credential } = await addPasskey(h, 'u');
    const late = await signInWith(h, 'u', credential);
    h.clock.t += 5 * 60_000;
    expect(await h.mfa.verify('u', late)).toEqual({ ok: false, reason: 'expired' });
    const fresh = await signInWith(h, 'u', credential);
    expect(await h.mfa.verify('u', fresh)).toMatchObject({ ok: true });
    const forged = await device.assert(credential, { challenge: 'AAAA', rpId: 'localhost' });
    expect(await h.mfa.verify('u', forged)).toEqual({ ok: false, reason: 'expired' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
  });

  it('a failed assertion counts like a wrong code: passkeys and TOTP codes draw on one lock', async () => {
    const h = harness({ passkeys });
    const { secret } = await enroll(h, 'u');
    const { credential } = await addPasskey(h, 'u');
    for (let i = 0; i < 3; i++) expect(await h.mfa.verify('u', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('u', await signInWith(h, 'u', credential, { origin: 'https://phish.example' }))).toEqual({ ok: false, reason: 'mismatch' });
    const other = await addPasskey(harness({ passkeys }), 'u');
    expect(await h.mfa.verify('u', await signInWith(h, 'u', other.credential))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verify('u', await signInWith(h, 'u', credential))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    expect(await h.mfa.verify('u', codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 30_000;
    expect(await h.mfa.verify('u', await signInWith(h, 'u', credential))).toMatchObject({ ok: true, method: 'webauthn' });
    expect((await h.store.getUser('u')).attempts).toEqual({ failures: 0, lockedUntil: null });
  });

  it('several passkeys: each signs in; one removed (re-verified with the other) stops working', async () => {
    const h = harness({ passkeys });
    const a = await addPasskey(h, 'u', { label: 'Laptop' });
    const b = await addPasskey(h, 'u', { label: 'Key' });
    expect((await h.mfa.beginPasskeySignIn('u')).options).toMatchObject({ allowCredentials: [{ id: a.credential.id }, { id: b.credential.id }] });
    expect(await h.mfa.verify('u', await signInWith(h, 'u', b.credential))).toMatchObject({ ok: true, factorId: b.factorId });
    expect(await h.mfa.removeFactor('u', a.factorId)).toEqual({ ok: false, reason: 'reverify-required' });
    expect(await h.mfa.removeFactor('u', a.factorId, { code: await signInWith(h, 'u', b.credential) })).toEqual({ ok: true, removed: true, disabled: false });
    expect(await h.mfa.verify('u', await signInWith(h, 'u', a.credential))).toEqual({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.renameFactor('u', b.factorId, 'YubiKey')).toBe(true);
    expect((await h.mfa.listFactors('u')).map((f) => f.label)).toEqual(['YubiKey']);
  });

  it('the API challenge takes an assertion too', async () => {
    const h = harness({ passkeys });
    const { credential, factorId } = await addPasskey(h, 'u');
    const { token } = await h.mfa.createChallenge('u');
    expect(await h.mfa.verifyChallenge(token, await signInWith(h, 'u', credential))).toEqual({ ok: true, userId: 'u', method: 'webauthn', factorId, remainingRecoveryCodes: 10 });
  });

  it('a passkey record copied to another user fails to open: the seal binds the user (a database writer cannot add their own passkey)', async () => {
    const h = harness({ passkeys });
    await enroll(h, 'victim');
    const mine = await addPasskey(h, 'attacker');
    const record = (await h.store.getUser('attacker')).factors[0]!;
    await h.store.putPendingFactor({ ...record, userId: 'victim', state: 'pending', expiresAt: Number.MAX_SAFE_INTEGER }, { now: h.clock.t, maxFactors: 8, replace: false });
    await h.store.activateFactor('victim', record.id, { counter: record.counter, now: h.clock.t, meta: record.meta, recovery: { digests: [], sealed: null } });
    await expect(h.mfa.verify('victim', await signInWith(h, 'victim', mine.credential))).rejects.toSatisfy((e) => isMfaError(e, 'SECRET_DECRYPTION_FAILED'));
  });
});

describe('passkeys: configuration and bad input', () => {
  it('webauthn() refuses a missing or malformed rpId, rpName or origin', () => {
    const good = { rpId: 'example.com', rpName: 'ACME', origins: ['https://example.com'] };
    expect(() => webauthn(good)).not.toThrow();
    expect(() => webauthn({ ...good, origins: ['https://example.com', 'https://app.example.com'] })).not.toThrow();
    expect(() => webauthn({ rpId: 'localhost', rpName: 'Dev', origins: ['http://localhost:3000'] })).not.toThrow();
    for (const bad of [
      { ...good, rpId: 'https://example.com' },
      { ...good, rpId: 'Example.com' },
      { ...good, rpId: 'example.com:443' },
      { ...good, rpId: '' },
      { ...good, rpName: ' ' },
      { ...good, origins: [] },
      { ...good, origins: ['http://example.com'] },
      { ...good, origins: ['https://example.com/login'] },
      { ...good, origins: ['https://evil.com'] },
      { ...good, origins: ['https://notexample.com'] },
      { ...good, origins: 'https://example.com' },
      { ...good, userVerification: 'always' },
      null,
    ]) {
      expect(() => webauthn(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    expect(() => harness({ passkeys: { rpId: 'x' } as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('without passkeys configured, the passkey methods are INVALID_CONFIG and an assertion is malformed', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u');
    await expect(h.mfa.beginPasskeyRegistration('u', { userName: 'u' })).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
    await expect(h.mfa.finishPasskeyRegistration('u', {})).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
    await expect(h.mfa.beginPasskeySignIn('u')).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
    const other = harness({ passkeys });
    const { credential } = await addPasskey(other, 'u');
    expect(await h.mfa.verify('u', await signInWith(other, 'u', credential))).toEqual({ ok: false, reason: 'malformed' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
    expect(await h.mfa.verify('u', codeAt(secret, h.clock.t))).toMatchObject({ ok: true });
  });

  it('beginPasskeySignIn needs a passkey; malformed assertions cost nothing', async () => {
    const h = harness({ passkeys });
    await expect(h.mfa.beginPasskeySignIn('u')).rejects.toSatisfy((e) => isMfaError(e, 'NOT_ENROLLED'));
    await addPasskey(h, 'u');
    await expect(h.mfa.beginPasskeyRegistration('u', { userName: '' })).rejects.toThrow(TypeError);
    await expect(h.mfa.beginPasskeyRegistration('u', null as never)).rejects.toThrow(TypeError);
    for (const bad of [{}, { type: 'public-key', id: 'AAAA' }, { type: 'public-key', id: 'AAAA', response: {} }, { type: 'public-key', id: 'A'.repeat(10_000), response: { clientDataJSON: 'AAAA' } }]) {
      expect(await h.mfa.verify('u', bad)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
  });
});
