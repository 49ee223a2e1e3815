import { describe, expect, it } from 'vitest';
import type { OutgoingCode } from '../src/index.js';
import { codeAt, enroll, harness, STEP, wrongCode } from './mfa-fixtures.js';

describe('pending sign-in challenge (API second step)', () => {
  it('a token and a right code name the user, once', async () => {
    const h = harness();
    const { secret, factorId } = await enroll(h);
    const { token, expiresAt } = await h.mfa.createChallenge('user-1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(h.clock.t + 300_000);
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: true, userId: 'user-1', method: 'totp', factorId, remainingRecoveryCodes: 10 });
    h.clock.t += STEP;
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'expired' });
  });

  it('takes recovery codes too', async () => {
    const h = harness();
    const { recoveryCodes } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    expect(await h.mfa.verifyChallenge(token, recoveryCodes[0])).toEqual({ ok: true, userId: 'user-1', method: 'recovery', remainingRecoveryCodes: 9 });
  });

  it('allows 5 wrong codes per token, then the token is gone', async () => {
    const h = harness({ policy: { throttle: { locks: [0], suspendAfter: 100 } } });
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    for (let i = 0; i < 5; i++) expect(await h.mfa.verifyChallenge(token, wrongCode(secret, h.clock.t))).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'expired' });
  });

  it('shares the user budget: a locked user is locked through the challenge too', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    for (let i = 0; i < 5; i++) await h.mfa.verify('user-1', wrongCode(secret, h.clock.t));
    const { token } = await h.mfa.createChallenge('user-1');
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
    h.clock.t += 30_000;
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toMatchObject({ ok: true, userId: 'user-1' });
  });

  it('a token whose user has no factor any more (reset) cannot sign in, and is gone', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    await h.mfa.reset('user-1', { actor: 'admin', reason: 'lost phone' });
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'not-enrolled' });
    await enroll(h);
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'expired' });
  });

  it('expires after 5 minutes', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    h.clock.t += 300_000;
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'expired' });
  });

  it('answers garbage tokens and codes with results, and unknown tokens as expired', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    for (const bad of [undefined, null, 42, '', 'x', 'a'.repeat(44), `${token.slice(0, -1)}!`, {}]) {
      expect(await h.mfa.verifyChallenge(bad, codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(await h.mfa.verifyChallenge(token, 'nope')).toEqual({ ok: false, reason: 'malformed' });
    expect(await h.mfa.verifyChallenge('A'.repeat(43), codeAt(secret, h.clock.t))).toEqual({ ok: false, reason: 'expired' });
    expect((await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).ok).toBe(true);
  });

  it('N parallel checks of one token with the right code: exactly one succeeds', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    const code = codeAt(secret, h.clock.t);
    const results = await Promise.all(Array.from({ length: 10 }, () => h.mfa.verifyChallenge(token, code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});

describe('e-mail/SMS codes', () => {
  const outbox = () => {
    const sent: OutgoingCode[] = [];
    return { sent, send: (m: OutgoingCode) => void sent.push(m) };
  };

  it('sends a 6-digit code that verifies once for the same purpose and destination', async () => {
    const h = harness();
    const box = outbox();
    const r = await h.mfa.sendCode('u1', { purpose: 'email:verify', destination: 'jane@example.com', send: box.send });
    expect(r).toEqual({ ok: true, expiresAt: h.clock.t + 300_000 });
    expect(box.sent).toHaveLength(1);
    const msg = box.sent[0] as OutgoingCode;
    expect(msg).toMatchObject({ to: 'jane@example.com', purpose: 'email:verify', expiresAt: h.clock.t + 300_000 });
    expect(msg.code).toMatch(/^\d{6}$/);
    const other = msg.code === '000000' ? '000001' : '000000';
    expect(await h.mfa.verifyCode('u1', { purpose: 'email:verify', destination: 'other@example.com', code: msg.code })).toMatchObject({ ok: false, reason: 'expired' });
    expect(await h.mfa.verifyCode('u1', { purpose: 'sms:verify', destination: 'jane@example.com', code: msg.code })).toMatchObject({ ok: false, reason: 'expired' });
    expect(await h.mfa.verifyCode('u2', { purpose: 'email:verify', destination: 'jane@example.com', code: msg.code })).toMatchObject({ ok: false, reason: 'expired' });
    expect(await h.mfa.verifyCode('u1', { purpose: 'email:verify', destination: 'jane@example.com', code: other })).toEqual({ ok: false, reason: 'mismatch', attemptsLeft: 4 });
    expect(await h.mfa.verifyCode('u1', { purpose: 'email:verify', destination: 'jane@example.com', code: ` ${msg.code.slice(0, 3)} ${msg.code.slice(3)} ` })).toEqual({ ok: true });
    expect(await h.mfa.verifyCode('u1', { purpose: 'email:verify', destination: 'jane@example.com', code: msg.code })).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('holds a 60 s resend cooldown; a resend replaces the code', async () => {
    const h = harness();
    const box = outbox();
    const opts = { purpose: 'email:verify', destination: 'jane@example.com', send: box.send };
    await h.mfa.sendCode('u1', opts);
    h.clock.t += 59_999;
    expect(await h.mfa.sendCode('u1', opts)).toEqual({ ok: false, reason: 'cooldown', retryAfterMs: 1 });
    expect(box.sent).toHaveLength(1);
    h.clock.t += 1;
    expect((await h.mfa.sendCode('u1', opts)).ok).toBe(true);
    const [first, second] = box.sent as [OutgoingCode, OutgoingCode];
    if (first.code !== second.code) {
      expect(await h.mfa.verifyCode('u1', { ...opts, code: first.code })).toMatchObject({ ok: false, reason: 'mismatch' });
    }
    expect(await h.mfa.verifyCode('u1', { ...opts, code: second.code })).toEqual({ ok: true });
  });

  it('expires after 5 minutes and allows 5 attempts per code', async () => {
    const h = harness({ policy: { throttle: { locks: [0] } } });
    const box = outbox();
    const opts = { purpose: 'p', destination: '+15550100', send: box.send };
    await h.mfa.sendCode('u1', opts);
    h.clock.t += 300_000;
    expect(await h.mfa.verifyCode('u1', { ...opts, code: (box.sent[0] as OutgoingCode).code })).toMatchObject({ ok: false, reason: 'expired' });
    await h.mfa.sendCode('u1', opts);
    const code = (box.sent[1] as OutgoingCode).code;
    const wrong = code === '999999' ? '999998' : '999999';
    for (const left of [4, 3, 2, 1, 0]) expect(await h.mfa.verifyCode('u1', { ...opts, code: wrong })).toEqual({ ok: false, reason: 'mismatch', attemptsLeft: left });
    expect(await h.mfa.verifyCode('u1', { ...opts, code })).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('a failing sender withdraws the code, so the user can ask again at once', async () => {
    const h = harness();
    const opts = { purpose: 'p', destination: 'd' };
    await expect(h.mfa.sendCode('u1', { ...opts, send: () => Promise.reject(new Error('smtp down')) })).rejects.toThrow('smtp down');
    const box = outbox();
    expect((await h.mfa.sendCode('u1', { ...opts, send: box.send })).ok).toBe(true);
  });

  it('malformed input costs nothing; wrong codes share the user budget', async () => {
    const h = harness();
    const box = outbox();
    const opts = { purpose: 'p', destination: 'd', send: box.send };
    await h.mfa.sendCode('u1', opts);
    for (const code of ['', '12345', 'abcdef', '１２３４５６', null, 123456]) expect(await h.mfa.verifyCode('u1', { ...opts, code })).toEqual({ ok: false, reason: 'malformed' });
    expect((await h.store.getUser('u1')).attempts).toEqual({ failures: 0, lockedUntil: null });
    const code = (box.sent[0] as OutgoingCode).code;
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 4; i++) await h.mfa.verifyCode('u1', { ...opts, code: wrong });
    await h.mfa.sendCode('u1', { ...opts, destination: 'd2' });
    expect(await h.mfa.verifyCode('u1', { ...opts, destination: 'd2', code: wrong })).toEqual({ ok: false, reason: 'mismatch', attemptsLeft: 4 });
    expect(await h.mfa.verifyCode('u1', { ...opts, destination: 'd2', code: (box.sent[1] as OutgoingCode).code })).toEqual({ ok: false, reason: 'locked', retryAfterMs: 30_000 });
  });

  it('a code that was never sent, or expired, costs nothing: no free way to push a user towards suspension', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u1');
    for (let i = 0; i < 200; i++) expect(await h.mfa.verifyCode('u1', { purpose: 'p', destination: 'never-sent', code: '123456' })).toEqual({ ok: false, reason: 'expired' });
    expect((await h.store.getUser('u1')).attempts).toEqual({ failures: 0, lockedUntil: null });
    expect((await h.mfa.verify('u1', codeAt(secret, h.clock.t))).ok).toBe(true);
  });

  it('right e-mail codes never lock or suspend the user', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'u1');
    const box = outbox();
    for (let i = 0; i < 120; i++) {
      const opts = { purpose: 'email:verify', destination: `address-${i}@example.com` };
      expect((await h.mfa.sendCode('u1', { ...opts, send: box.send })).ok).toBe(true);
      expect(await h.mfa.verifyCode('u1', { ...opts, code: (box.sent[i] as OutgoingCode).code })).toEqual({ ok: true });
    }
    expect((await h.store.getUser('u1')).attempts.failures).toBe(0);
    expect((await h.mfa.verify('u1', codeAt(secret, h.clock.t))).ok).toBe(true);
  });

  it('codes never appear in events', async () => {
    const h = harness();
    const box = outbox();
    const opts = { purpose: 'p', destination: 'd', send: box.send };
    await h.mfa.sendCode('u1', opts);
    await h.mfa.verifyCode('u1', { ...opts, code: (box.sent[0] as OutgoingCode).code });
    expect(h.events.map((e) => e.type)).toEqual(['verify.succeeded']);
    expect(JSON.stringify(h.events)).not.toContain((box.sent[0] as OutgoingCode).code);
  });

  it('names a bad purpose, destination or sender with TypeError', async () => {
    const h = harness();
    await expect(h.mfa.sendCode('u1', { purpose: '', destination: 'd', send: () => {} })).rejects.toThrow(TypeError);
    await expect(h.mfa.sendCode('u1', { purpose: 'p', destination: 'd' } as never)).rejects.toThrow(TypeError);
    await expect(h.mfa.verifyCode('u1', { purpose: 'p', code: '123456' } as never)).rejects.toThrow(TypeError);
  });
});

describe('pending sign-in challenge when the server fails', () => {
  it('keeps the token usable after a decryption error', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    const factor = (await h.store.getUser('user-1')).factors[0];
    const sealed = factor?.secret ?? '';
    const flipped = sealed.at(-5) === 'A' ? 'B' : 'A';
    const broken = `${sealed.slice(0, -5)}${flipped}${sealed.slice(-4)}`;
    await h.store.resealFactor('user-1', factor?.id ?? '', sealed, broken);
    await expect(h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).rejects.toMatchObject({ code: 'SECRET_DECRYPTION_FAILED' });
    // The server-side failure was not the user's guess: its reservation was given back.
    expect((await h.store.getUser('user-1')).attempts.failures).toBe(0);
    await h.store.resealFactor('user-1', factor?.id ?? '', broken, sealed);
    expect(await h.mfa.verifyChallenge(token, codeAt(secret, h.clock.t))).toMatchObject({ ok: true, userId: 'user-1' });
  });
});

describe('challenge events', () => {
  it('never carry the token or the code', async () => {
    const h = harness();
    const { secret } = await enroll(h);
    const { token } = await h.mfa.createChallenge('user-1');
    const wrong = wrongCode(secret, h.clock.t);
    await h.mfa.verifyChallenge(token, wrong);
    const right = codeAt(secret, h.clock.t);
    expect((await h.mfa.verifyChallenge(token, right)).ok).toBe(true);
    const json = JSON.stringify(h.events);
    for (const needle of [token, right, wrong, secret]) expect(json.includes(needle)).toBe(false);
  });
});
