import { describe, expect, it, vi } from 'vitest';
import { createMemoryStore, createMfa, decodeSecret, hashRecoveryCode, isMfaError, type MfaStore } from '../src/index.js';
import { codeAt, enroll, harness, randomKey, reverifyWith, STEP } from './mfa-fixtures.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const isCode = (code: string) => (e: unknown) => isMfaError(e, code as never);

/** Makes `to` hold the exact stored factor record of `from` (under `id`, by default its own), as a database copy would. */
async function copyFactor(store: MfaStore, from: string, to: string, id?: string): Promise<void> {
  const [rec] = (await store.getUser(from)).factors;
  if (rec === undefined) throw new Error('no factor to copy');
  const copy = { ...rec, id: id ?? rec.id, userId: to, label: `copy ${id ?? ''}`, state: 'pending' as const, expiresAt: Number.MAX_SAFE_INTEGER };
  await store.putPendingFactor(copy, { now: rec.createdAt, maxFactors: 8, replace: false });
  await store.activateFactor(to, copy.id, { counter: rec.counter, now: rec.createdAt, meta: rec.meta, recovery: { digests: [], sealed: null } });
}

const sealedOf = async (store: MfaStore, userId: string): Promise<{ id: string; secret: string }> => {
  const [f] = (await store.getUser(userId)).factors;
  return { id: f?.id ?? 'none', secret: f?.secret ?? '' };
};

describe('secrets at rest (AES-256-GCM under the host key ring)', () => {
  it('stores the secret sealed under the current key id, never in clear', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const sealed = (await sealedOf(h.store, 'user-1')).secret;
    expect(sealed).toMatch(/^v2\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(Buffer.from(decodeSecret(secret)).toString('base64url'));
  });

  it('refuses to open a record copied to another user', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    await copyFactor(h.store, 'alice', 'mallory');
    await expect(h.mfa.verify('mallory', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    expect((await h.mfa.verify('alice', codeAt(secret, h.clock.t))).ok).toBe(true);
  });

  it('refuses to open a record copied to another factor of the same user', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    await h.mfa.disable('alice', reverifyWith(h, secret));
    await enroll(h, 'bob');
    await copyFactor(h.store, 'bob', 'alice', 'AAAAAAAAAAAAAAAAAAAAAA');
    const [copy] = (await h.store.getUser('alice')).factors;
    expect(copy?.id).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    await expect(h.mfa.verify('alice', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
  });

  it('refuses a tampered record or one relabelled with another key id', async () => {
    const store = createMemoryStore();
    const k1 = randomKey();
    const k2 = randomKey();
    const h = harness({ store, secretKeys: { current: 'k1', keys: { k1, k2 } } });
    const { secret, factorId } = await enroll(h);
    const sealed = (await sealedOf(store, 'user-1')).secret;
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3] as string, 'base64url');
    ct[0] = (ct[0] as number) ^ 1;
    const tampered = [parts[0], parts[1], parts[2], ct.toString('base64url')].join('.');
    expect(await store.resealFactor('user-1', factorId, sealed, tampered)).toBe(true);
    await expect(h.mfa.verify('user-1', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    const relabelled = [parts[0], 'k2', parts[2], parts[3]].join('.');
    await store.resealFactor('user-1', factorId, tampered, relabelled);
    await expect(h.mfa.verify('user-1', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    for (const junk of ['x', 'v2.k1', 'v2.k1.!!.??', 'v1.k1.AAAA.AAAA', 'v2.nokey.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', `v2.k1.AAAAAAAAAAAAAAAA.${'='.repeat(3000)}`, `v2.k1.${'='.repeat(4000)}`]) {
      await store.resealFactor('user-1', factorId, (await sealedOf(store, 'user-1')).secret, junk);
      await expect(h.mfa.verify('user-1', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    }
  });

  it('rotates keys: old ids decrypt and are re-encrypted under the current key on use', async () => {
    const store = createMemoryStore();
    const k1 = randomKey();
    const k2 = randomKey();
    const clock = { t: 1_767_225_600_000 };
    const make = (current: string, keys: Record<string, Uint8Array | string>) => createMfa({ store, issuer: 'ACME', secretKeys: { current, keys }, now: () => clock.t });
    const before = make('k1', { k1 });
    const { secret } = await before.beginEnrollment('u1', { account: 'a' });
    await before.confirmEnrollment('u1', codeAt(secret, clock.t));
    expect((await sealedOf(store, 'u1')).secret.startsWith('v2.k1.')).toBe(true);

    const rotated = make('k2', { k1: b64(k1), k2: b64url(k2) });
    clock.t += STEP;
    expect((await rotated.verify('u1', codeAt(secret, clock.t))).ok).toBe(true);
    expect((await sealedOf(store, 'u1')).secret.startsWith('v2.k2.')).toBe(true);

    const onlyK2 = make('k2', { k2 });
    clock.t += STEP;
    expect((await onlyK2.verify('u1', codeAt(secret, clock.t))).ok).toBe(true);
    const onlyK1 = make('k1', { k1 });
    clock.t += STEP;
    await expect(onlyK1.verify('u1', codeAt(secret, clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
  });

  it('stores recovery codes only as HMAC digests under the pepper', async () => {
    const h = harness({ pepper: 'pepper-A' });
    const { recoveryCodes } = await enroll(h);
    const [a, b] = recoveryCodes as [string, string];
    expect(await h.store.consumeRecoveryCode('user-1', hashRecoveryCode(a))).toBe(null);
    expect(await h.store.consumeRecoveryCode('user-1', hashRecoveryCode(a, { pepper: 'pepper-B' }))).toBe(null);
    expect(await h.store.consumeRecoveryCode('user-1', hashRecoveryCode(a, { pepper: 'pepper-A' }))).toEqual({ recoveryCodes: 9 });
    const other = createMfa({ store: h.store, issuer: 'ACME', secretKeys: { current: 'k1', keys: h.keys }, pepper: 'pepper-B' });
    expect(await other.verify('user-1', b)).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('configuration', () => {
  const store = createMemoryStore();
  const keys = { k1: randomKey() };
  const base = { store, issuer: 'ACME', secretKeys: { current: 'k1', keys } };

  it('refuses to run without a key ring unless plaintext secrets are explicitly allowed', async () => {
    expect(() => createMfa({ store, issuer: 'ACME' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(/secretKeys/) }));
    const dev = createMfa({ store, issuer: 'ACME', allowPlaintextSecrets: true, now: () => 1_767_225_600_000 });
    const { secret } = await dev.beginEnrollment('dev', { account: 'a' });
    expect((await sealedOf(store, 'dev')).secret).toBe(`plain.${secret}`);
    expect((await dev.confirmEnrollment('dev', codeAt(secret, 1_767_225_600_000))).ok).toBe(true);
  });

  it('refuses a plaintext record beside a key ring, and plaintext and a key ring together', async () => {
    const s = createMemoryStore();
    const t = 1_767_225_600_000;
    const dev = createMfa({ store: s, issuer: 'ACME', allowPlaintextSecrets: true, now: () => t });
    const { secret } = await dev.beginEnrollment('u', { account: 'a' });
    await dev.confirmEnrollment('u', codeAt(secret, t));
    const strict = createMfa({ store: s, issuer: 'ACME', secretKeys: { current: 'k1', keys }, now: () => t + STEP });
    await expect(strict.verify('u', codeAt(secret, t + STEP))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    expect(() => createMfa({ store: s, issuer: 'ACME', secretKeys: { current: 'k1', keys }, allowPlaintextSecrets: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(/allowPlaintextSecrets/) }),
    );
    expect((await sealedOf(s, 'u')).secret).toBe(`plain.${secret}`);
  });

  it('names each configuration mistake with INVALID_CONFIG', () => {
    const cases: [string, unknown][] = [
      ['no store', { ...base, store: undefined }],
      ['incomplete store', { ...base, store: { supports: { oneTime: false }, getUser: async () => null } }],
      ['store without a manifest', { ...base, store: { getUser: async () => null } }],
      ['pepper present but undefined', { ...base, pepper: undefined }],
      ['secretKeys present but undefined', { ...base, secretKeys: undefined, allowPlaintextSecrets: true }],
      ['throttle of a wrong type', { ...base, policy: { throttle: 5 } }],
      ['totp of a wrong type', { ...base, totp: 'SHA1' }],
      ['maxFactors 9', { ...base, maxFactors: 9 }],
      ['issuer with a colon', { ...base, issuer: 'A:B' }],
      ['empty issuer', { ...base, issuer: ' ' }],
      ['short key', { ...base, secretKeys: { current: 'k1', keys: { k1: new Uint8Array(16) } } }],
      ['bad base64 key', { ...base, secretKeys: { current: 'k1', keys: { k1: '***' } } }],
      ['current not in keys', { ...base, secretKeys: { current: 'k9', keys } }],
      ['key id with a dot', { ...base, secretKeys: { current: 'a.b', keys: { 'a.b': randomKey() } } }],
      ['empty pepper', { ...base, pepper: '' }],
      ['suspendAfter over 100', { ...base, policy: { throttle: { suspendAfter: 101 } } }],
      ['a v0.1 throttle option', { ...base, policy: { throttle: { freeFailures: 5 } } }],
      ['locks not starting at 0', { ...base, policy: { throttle: { locks: [30_000] } } }],
      ['required as a string', { ...base, policy: { required: 'yes' } }],
      ['digits 5', { ...base, totp: { digits: 5 } }],
      ['window 11', { ...base, totp: { window: 11 } }],
      ['enrollmentTtlMs 0', { ...base, enrollmentTtlMs: 0 }],
      ['recoveryCodes.count 0', { ...base, recoveryCodes: { count: 0 } }],
      ['now not a function', { ...base, now: 5 }],
    ];
    for (const [name, opts] of cases) {
      expect(() => createMfa(opts as never), name).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });

  it('accepts keys as base64 and base64url text', () => {
    const k = randomKey();
    expect(() => createMfa({ ...base, secretKeys: { current: 'a', keys: { a: b64(k), b: b64url(k) } } })).not.toThrow();
  });
});

describe('a record that cannot be decrypted', () => {
  it('charges no attempt, so a key mistake never locks users out', async () => {
    const h = harness();
    const { secret, factorId } = await enroll(h);
    const sealed = (await sealedOf(h.store, 'user-1')).secret;
    const flipped = sealed.at(-5) === 'A' ? 'B' : 'A';
    await h.store.resealFactor('user-1', factorId, sealed, `${sealed.slice(0, -5)}${flipped}${sealed.slice(-4)}`);
    for (let i = 0; i < 10; i++) {
      await expect(h.mfa.verify('user-1', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    }
    expect((await h.store.getUser('user-1')).attempts).toEqual({ failures: 0, lockedUntil: null });
  });

  it('names no secret in the error message', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    await copyFactor(h.store, 'alice', 'bob');
    const sealed = (await sealedOf(h.store, 'bob')).secret;
    const err = await h.mfa.verify('bob', codeAt(secret, h.clock.t)).catch((e: unknown) => e);
    expect(isMfaError(err, 'SECRET_DECRYPTION_FAILED')).toBe(true);
    const text = `${(err as Error).message} ${String((err as Error).stack)}`;
    expect(text).not.toContain(secret);
    expect(text).not.toContain(sealed.split('.')[3]);
    expect(text).not.toContain(codeAt(secret, h.clock.t));
  });
});

describe('the plaintext handed to WebCrypto', () => {
  it('is zeroed once the secret is sealed', async () => {
    const seen: Uint8Array[] = [];
    const encrypt = crypto.subtle.encrypt.bind(crypto.subtle);
    const spy = vi.spyOn(crypto.subtle, 'encrypt').mockImplementation((algorithm, key, data) => {
      seen.push(data as Uint8Array);
      return encrypt(algorithm, key, data);
    });
    try {
      const h = harness();
      const { secret } = await h.mfa.beginEnrollment('u', { account: 'a' });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.length).toBe(decodeSecret(secret).length);
      expect(seen[0]?.every((b) => b === 0)).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a sealed value from the database is parsed in linear time', () => {
  // A database can hold anything; a store hands back what it holds. 200,000 "="
  // took minutes under the quadratic pattern of v0.1 (1.3 s for 40,000).
  it('a long run of "=" is refused at once', async () => {
    const memory = createMemoryStore();
    let junk: string | null = null;
    const store: MfaStore = {
      ...memory,
      beginAttempt: async (...args) => {
        const r = await memory.beginAttempt(...args);
        return junk === null ? r : { ...r, factors: r.factors.map((f) => ({ ...f, secret: junk as string })) };
      },
    };
    const h = harness({ store });
    const { secret } = await enroll(h);
    const [v, k, iv] = (await sealedOf(memory, 'user-1')).secret.split('.');
    for (const value of [`${v}.${k}.${iv}.${'='.repeat(200_000)}x`, `${v}.${k}.${'='.repeat(200_000)}.AAAA`, `plain.${'='.repeat(200_000)}`]) {
      junk = value;
      await expect(h.mfa.verify('user-1', codeAt(secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
    }
  });
});

describe('the opened-secret cache', () => {
  it('serves only the same user and the same sealed record, and evicts the oldest', async () => {
    for (const secretCacheSize of [0, 1, 1000]) {
      const h = harness({ secretCacheSize });
      const a = await enroll(h, 'a');
      const b = await enroll(h, 'b');
      for (let i = 0; i < 3; i++) {
        h.clock.t += STEP;
        expect((await h.mfa.verify('a', codeAt(a.secret, h.clock.t))).ok, `size ${secretCacheSize}`).toBe(true);
        expect((await h.mfa.verify('b', codeAt(b.secret, h.clock.t))).ok, `size ${secretCacheSize}`).toBe(true);
      }
      await copyFactor(h.store, 'a', 'c');
      await expect(h.mfa.verify('c', codeAt(a.secret, h.clock.t))).rejects.toSatisfy(isCode('SECRET_DECRYPTION_FAILED'));
      // Re-enrolment stores a new sealed record: the old secret must stop working at once.
      h.clock.t += STEP;
      expect(await h.mfa.disable('a', reverifyWith(h, a.secret))).toEqual({ ok: true, disabled: true });
      const again = await enroll(h, 'a');
      expect(await h.mfa.verify('a', codeAt(a.secret, h.clock.t))).toMatchObject({ ok: false });
      expect((await h.mfa.verify('a', codeAt(again.secret, h.clock.t))).ok).toBe(true);
    }
    expect(() => harness({ secretCacheSize: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
