// Trusted devices ("trust this browser for 30 days") and the administrator's enrolment view.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, isMfaError, type MfaStore } from '../src/index.js';
import { enroll, harness, reverifyWith, STEP } from './mfa-fixtures.js';

const DAY = 86_400_000;

describe('trusted devices', () => {
  it('a remembered device skips the second factor until it expires; the token is never stored or listed', async () => {
    const h = harness();
    await enroll(h, 'u');
    const { token, deviceId, expiresAt } = await h.mfa.rememberDevice('u', { label: 'Firefox on Linux' });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(h.clock.t + 30 * DAY);
    h.clock.t += DAY;
    expect(await h.mfa.checkDevice('u', token)).toEqual({ ok: true, deviceId, expiresAt });
    expect(await h.mfa.listDevices('u')).toEqual([{ id: deviceId, label: 'Firefox on Linux', createdAt: expiresAt - 30 * DAY, lastSeenAt: h.clock.t, expiresAt }]);
    expect(h.store.dump()).not.toContain(token);
    expect(JSON.stringify(h.events)).not.toContain(token);
    h.clock.t = expiresAt;
    expect(await h.mfa.checkDevice('u', token)).toEqual({ ok: false, reason: 'expired' });
    expect(await h.mfa.listDevices('u')).toEqual([]);
  });

  it('never works for another user, after revocation, or for a malformed token (which costs no store call)', async () => {
    const h = harness();
    await enroll(h, 'u');
    await enroll(h, 'v');
    const a = await h.mfa.rememberDevice('u', { label: 'a', ttlMs: 7 * DAY });
    const b = await h.mfa.rememberDevice('u', { label: 'b' });
    expect(await h.mfa.checkDevice('v', a.token)).toEqual({ ok: false, reason: 'expired' });
    expect(await h.mfa.revokeDevice('u', a.deviceId)).toBe(true);
    expect(await h.mfa.revokeDevice('u', a.deviceId)).toBe(false);
    expect(await h.mfa.checkDevice('u', a.token)).toEqual({ ok: false, reason: 'expired' });
    expect((await h.mfa.checkDevice('u', b.token)).ok).toBe(true);
    for (const bad of [undefined, null, 42, '', 'x', `${b.token}x`, `${b.token.slice(0, -1)}!`]) {
      expect(await h.mfa.checkDevice('u', bad)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
  });

  it('revokeAllDevices (on a password change) revokes every device', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u');
    const tokens = [];
    for (const label of ['one', 'two']) tokens.push((await h.mfa.rememberDevice('u', { label })).token);
    expect(await h.mfa.revokeAllDevices('u')).toEqual({ ok: false, reason: 'reverify-required' });
    expect(await h.mfa.revokeAllDevices('u', reverifyWith(h, secret))).toEqual({ ok: true, revoked: 2 });
    for (const t of tokens) expect((await h.mfa.checkDevice('u', t)).ok).toBe(false);

  });

  for (const end of ['disable', 'reset', 'removing the last factor'] as const) {
    it(`${end} revokes every device`, async () => {
      const h = harness();
      const { factorId, secret } = await enroll(h, 'u');
      const { token } = await h.mfa.rememberDevice('u', { label: 'x' });
      if (end === 'disable') await h.mfa.disable('u', reverifyWith(h, secret));
      else if (end === 'reset') await h.mfa.reset('u', { actor: 'admin', reason: 'lost phone' });
      else await h.mfa.removeFactor('u', factorId, reverifyWith(h, secret));
      expect(await h.mfa.checkDevice('u', token)).toEqual({ ok: false, reason: 'expired' });
      expect(await h.mfa.listDevices('u')).toEqual([]);
    });
  }

  it('refuses bad options with typed errors, and stores without the capability with INVALID_CONFIG', async () => {
    const h = harness();
    await expect(h.mfa.rememberDevice('u', { label: '' })).rejects.toThrow(TypeError);
    await expect(h.mfa.rememberDevice('u', { label: 'x', ttlMs: 1000 })).rejects.toThrow(RangeError);
    await expect(h.mfa.rememberDevice('u', { label: 'x', ttlMs: 401 * DAY })).rejects.toThrow(RangeError);
    await expect(h.mfa.revokeDevice('u', 'not-an-id')).rejects.toThrow(TypeError);
    const memory = createMemoryStore();
    const { putDevice: _p, touchDevice: _t, listDevices: _l, revokeDevice: _r, revokeAllDevices: _a, ...rest } = memory;
    const without = { ...rest, supports: { ...memory.supports, devices: false } } as unknown as MfaStore;
    const other = harness({ store: without });
    await expect(other.mfa.rememberDevice('u', { label: 'x' })).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_CONFIG'));
  });
});

describe('the administrator enrolment view', () => {
  it('lists users with an active factor in pages, and counts them', async () => {
    const h = harness({ policy: { throttle: { locks: [0], suspendAfter: 3 } } });
    const ids = ['carol', 'alice', 'bob', 'dave', 'erin'];
    for (const id of ids) await enroll(h, id);
    await h.mfa.beginEnrollment('pending-only', { account: 'p' });
    await enroll(h, 'bob', 'second');
    for (let i = 0; i < 3; i++) await h.mfa.verify('dave', '000000');
    h.clock.t += STEP;
    const seen: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await h.mfa.listEnrolled({ cursor, limit: 2 });
      seen.push(...page.users.map((u) => u.userId));
      expect(page.users.length).toBeLessThanOrEqual(2);
      for (const u of page.users) {
        expect(u).toMatchObject({ kinds: ['totp'], factors: u.userId === 'bob' ? 2 : 1, suspended: u.userId === 'dave' });
        expect(typeof u.lastUsedAt).toBe('number');
      }
      if ((cursor = page.cursor) === null) break;
    }
    expect(seen).toEqual([...ids].sort());
    expect(await h.mfa.countEnrolled()).toBe(5);
    await expect(h.mfa.listEnrolled({ limit: 0 })).rejects.toThrow(RangeError);
  });
});
