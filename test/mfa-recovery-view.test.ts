// Viewable recovery codes (recoveryCodes: { viewable: true }): the set is also
// kept sealed with the key ring, so the codes still unused can be shown again.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, isMfaError } from '../src/index.js';
import { codeAt, enroll, harness, randomKey, reverifyWith, T0 } from './mfa-fixtures.js';

const viewable = { recoveryCodes: { viewable: true } } as const;

describe('viewRecoveryCodes', () => {
  it('shows the codes still unused: not one used to sign in, nor the one that re-verified the view', async () => {
    const h = harness(viewable);
    const { secret, recoveryCodes } = await enroll(h, 'u');
    expect(await h.mfa.viewRecoveryCodes('u', reverifyWith(h, secret))).toEqual({ ok: true, recoveryCodes, createdAt: T0 });
    expect(await h.mfa.verify('u', recoveryCodes[0] as string)).toMatchObject({ ok: true, method: 'recovery' });
    expect(await h.mfa.viewRecoveryCodes('u', { code: recoveryCodes[1] })).toEqual({ ok: true, recoveryCodes: recoveryCodes.slice(2), createdAt: T0 });
  });

  it('shows the new set after a regeneration, and nothing after disable', async () => {
    const h = harness(viewable);
    const { secret } = await enroll(h, 'u');
    const fresh = await h.mfa.regenerateRecoveryCodes('u', reverifyWith(h, secret));
    if (!fresh.ok) throw new Error(fresh.reason);
    expect(await h.mfa.viewRecoveryCodes('u', reverifyWith(h, secret))).toEqual({ ok: true, recoveryCodes: fresh.recoveryCodes, createdAt: fresh.createdAt });
    await h.mfa.disable('u', reverifyWith(h, secret));
    expect(await h.mfa.viewRecoveryCodes('u')).toEqual({ ok: true, recoveryCodes: [], createdAt: null });
  });

  it('stores the set sealed: no code in the store, only digests and ciphertext', async () => {
    const h = harness({ ...viewable, recoveryCodes: { viewable: true, count: 100 } });
    const { recoveryCodes } = await enroll(h, 'u');
    expect(recoveryCodes).toHaveLength(100);
    const dump = h.store.dump();
    for (const code of recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replaceAll('-', ''));
    }
    const { sealed } = await h.store.getRecoveryCodes('u');
    expect(sealed).toMatch(/^v2\.k1\./);
    expect((sealed as string).length).toBeLessThanOrEqual(4096);
  });

  it('keeps digests only by default; a set stored without a copy shows nothing until regenerated', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u');
    expect((await h.store.getRecoveryCodes('u')).sealed).toBeNull();
    const later = harness({ ...viewable, store: h.store, secretKeys: { current: 'k1', keys: h.keys } });
    later.clock.t = h.clock.t;
    expect(await later.mfa.viewRecoveryCodes('u', reverifyWith(later, secret))).toEqual({ ok: true, recoveryCodes: [], createdAt: null });
    const fresh = await later.mfa.regenerateRecoveryCodes('u', reverifyWith(later, secret));
    if (!fresh.ok) throw new Error(fresh.reason);
    expect(await later.mfa.viewRecoveryCodes('u', reverifyWith(later, secret))).toEqual({ ok: true, recoveryCodes: fresh.recoveryCodes, createdAt: fresh.createdAt });
  });

  it('opens under an older key of the ring, and fails loudly once that key is gone', async () => {
    const store = createMemoryStore();
    const k1 = randomKey();
    const h = harness({ ...viewable, store, secretKeys: { current: 'k1', keys: { k1 } } });
    const { secret, recoveryCodes } = await enroll(h, 'u');
    const rotated = harness({ ...viewable, store, secretKeys: { current: 'k2', keys: { k1, k2: randomKey() } } });
    rotated.clock.t = h.clock.t;
    expect(await rotated.mfa.viewRecoveryCodes('u', { code: codeAt(secret, rotated.clock.t) })).toEqual({ ok: true, recoveryCodes, createdAt: T0 });
    const dropped = harness({ ...viewable, store, secretKeys: { current: 'k2', keys: { k2: randomKey() } }, policy: { reverify: 'host' } });
    await expect(dropped.mfa.viewRecoveryCodes('u')).rejects.toSatisfy((e) => isMfaError(e, 'SECRET_DECRYPTION_FAILED'));
  });

  it('refuses a sealed set copied to another user (the sealing binds the user)', async () => {
    const h = harness({ ...viewable, policy: { reverify: 'host' } });
    await enroll(h, 'a');
    await enroll(h, 'b');
    const theirs = await h.store.getRecoveryCodes('a');
    const mine = await h.store.getRecoveryCodes('b');
    await h.store.replaceRecoveryCodes('b', { digests: mine.digests, sealed: theirs.sealed });
    await expect(h.mfa.viewRecoveryCodes('b')).rejects.toSatisfy((e) => isMfaError(e, 'SECRET_DECRYPTION_FAILED'));
  });

  it('is refused with INVALID_CONFIG unless opted in, and the option is checked', async () => {
    const h = harness();
    await expect(h.mfa.viewRecoveryCodes('u')).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
    for (const recoveryCodes of [{ viewable: 'yes' }, { viewable: undefined }, { count: 0 }, { count: 101 }, { other: true }, [], 'viewable']) {
      expect(() => harness({ recoveryCodes: recoveryCodes as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
