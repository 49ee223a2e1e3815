import { describe, expect, it } from 'vitest';
import { decodeSecret, normalizeRecoveryCode, type MfaEvent } from '../src/index.js';
import { codeAt, enroll, harness, STEP, wrongCode } from './mfa-fixtures.js';

describe('events', () => {
  it('carry no secret, code or recovery code over a full flow', async () => {
    const h = harness();
    const typed: string[] = [];
    const secrets: string[] = [];

    const begin = await h.mfa.beginEnrollment('user-1', { account: 'jane@example.com' });
    secrets.push(begin.secret, begin.uri);
    const confirmCode = codeAt(begin.secret, h.clock.t);
    const wrongConfirm = wrongCode(begin.secret, h.clock.t);
    typed.push(confirmCode, wrongConfirm);
    await h.mfa.confirmEnrollment('user-1', wrongConfirm);
    const confirmed = await h.mfa.confirmEnrollment('user-1', confirmCode);
    if (!confirmed.ok) throw new Error('confirmation failed');
    const recovery = [...(confirmed.recoveryCodes ?? [])];
    secrets.push(h.store.dump());

    h.clock.t += STEP;
    const good = codeAt(begin.secret, h.clock.t);
    typed.push(good);
    await h.mfa.verify('user-1', good);
    await h.mfa.verify('user-1', good); // replayed
    for (let i = 0; i < 6; i++) {
      const bad = wrongCode(begin.secret, h.clock.t + i);
      typed.push(bad);
      await h.mfa.verify('user-1', bad);
    }
    h.clock.t += 60 * 60_000;
    await h.mfa.verify('user-1', recovery[0] as string);
    const lower = (recovery[1] as string).toLowerCase();
    typed.push(lower);
    await h.mfa.verify('user-1', lower);
    await h.mfa.verify('user-1', recovery[0] as string); // used twice
    const regenerated = await h.mfa.regenerateRecoveryCodes('user-1', { code: recovery[2] as string });
    if (!regenerated.ok) throw new Error(`regenerate: ${regenerated.reason}`);
    recovery.push(...regenerated.recoveryCodes);
    await h.mfa.disable('user-1', { code: recovery[recovery.length - 1] as string });
    await enroll(h, 'user-1');
    await h.mfa.reset('user-1', { actor: 'admin-1', reason: 'lost phone' });

    const json = JSON.stringify(h.events);
    const needles = [
      ...secrets,
      ...typed,
      ...recovery,
      ...recovery.map((c) => c.replace(/-/g, '')),
      ...recovery.map((c) => c.toLowerCase()),
      Buffer.from(decodeSecret(begin.secret)).toString('hex'),
      Buffer.from(decodeSecret(begin.secret)).toString('base64'),
    ];
    for (const needle of needles) expect(json.includes(needle), `an event contains ${needle.slice(0, 4)}…`).toBe(false);
    expect(recovery.every((c) => normalizeRecoveryCode(c) === c)).toBe(true);

    const types = new Set(h.events.map((e) => e.type));
    for (const t of ['enrollment.started', 'enrollment.confirmed', 'verify.succeeded', 'verify.failed', 'lockout', 'recovery.used', 'recovery.regenerated', 'mfa.disabled', 'mfa.reset'] as const) {
      expect(types.has(t), t).toBe(true);
    }
    // Each type carries exactly its own fields.
    const fields: Record<MfaEvent['type'], string[]> = {
      'enrollment.started': ['factorId'],
      'enrollment.confirmed': ['factorId'],
      'factor.removed': ['factorId'],
      'verify.succeeded': ['method', 'factorId'],
      'verify.failed': ['method', 'reason'],
      'passkey.clone-suspected': ['factorId'],
      lockout: ['reason', 'lockedUntil'],
      'throttle.warning': ['failures'],
      'recovery.used': ['remaining'],
      'recovery.low': ['remaining'],
      'recovery.regenerated': [],
      'device.trusted': ['deviceId'],
      'device.revoked': ['deviceId', 'all'],
      'mfa.disabled': [],
      'mfa.reset': ['actor', 'reason'],
    };
    for (const e of h.events) {
      const allowed = ['type', 'userId', 'at', ...fields[e.type]];
      expect(Object.keys(e).filter((k) => !allowed.includes(k)), e.type).toEqual([]);
      expect(typeof e.at).toBe('number');
    }
  });

  it('describe each sign-in with its method and reason', async () => {
    const h = harness();
    const { secret, recoveryCodes, factorId } = await enroll(h);
    h.events.length = 0;
    const good = codeAt(secret, h.clock.t);
    await h.mfa.verify('user-1', good);
    await h.mfa.verify('user-1', good);
    await h.mfa.verify('user-1', 'nonsense');
    await h.mfa.verify('user-1', recoveryCodes[0] as string);
    const at = h.clock.t;
    expect(h.events).toEqual<MfaEvent[]>([
      { type: 'verify.succeeded', userId: 'user-1', at, method: 'totp', factorId },
      { type: 'verify.failed', userId: 'user-1', at, reason: 'replayed', method: 'totp' },
      { type: 'verify.failed', userId: 'user-1', at, reason: 'malformed' },
      { type: 'verify.succeeded', userId: 'user-1', at, method: 'recovery' },
      { type: 'recovery.used', userId: 'user-1', at, remaining: 9 },
    ]);
  });

  it('an onEvent that throws or rejects never breaks a flow', async () => {
    for (const onEvent of [
      () => {
        throw new Error('audit sink down');
      },
      () => Promise.reject(new Error('audit sink down')),
    ]) {
      const h = harness({ onEvent });
      const { secret, recoveryCodes } = await enroll(h);
      expect((await h.mfa.verify('user-1', codeAt(secret, h.clock.t))).ok).toBe(true);
      expect(await h.mfa.verify('user-1', wrongCode(secret, h.clock.t))).toEqual({ ok: false, reason: 'mismatch' });
      expect((await h.mfa.verify('user-1', recoveryCodes[0] as string)).ok).toBe(true);
      expect(await h.mfa.reset('user-1', { actor: 'a', reason: 'r' })).toBe(true);
    }
  });
});
