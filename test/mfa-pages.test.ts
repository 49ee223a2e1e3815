// What the settings and sign-in pages of a host need beyond the flows: the
// recovery-codes download, the HTTP status of a result, the warnings of status().
import { describe, expect, it } from 'vitest';
import { formatRecoveryCodesText, generateRecoveryCodes, httpStatusFor, MfaError } from '../src/index.js';
import { enroll, harness, wrongCode } from './mfa-fixtures.js';

describe('formatRecoveryCodesText', () => {
  it('names the service, the account and the date, and numbers every code in canonical form', () => {
    const codes = generateRecoveryCodes({ count: 10 });
    const text = formatRecoveryCodesText([codes[0]!.toLowerCase(), ...codes.slice(1)], { issuer: 'ACME', account: 'jane@example.com', createdAt: Date.UTC(2026, 11, 1) });
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['ACME recovery codes', 'Account: jane@example.com', 'Created: 2026-12-01T00:00:00.000Z']);
    expect(lines.filter((l) => /^ ?\d+\. /.test(l))).toEqual(codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`));
    expect(text.endsWith('\n')).toBe(true);
  });

  it('refuses what is not a recovery code and header values that could inject lines', () => {
    const [code] = generateRecoveryCodes({ count: 1 });
    const opts = { issuer: 'ACME', account: 'a', createdAt: 0 };
    expect(() => formatRecoveryCodesText(['123456'], opts)).toThrow(TypeError);
    expect(() => formatRecoveryCodesText([], opts)).toThrow(TypeError);
    expect(() => formatRecoveryCodesText([code!], { ...opts, account: 'a\nFake: line' })).toThrow(TypeError);
    expect(() => formatRecoveryCodesText([code!], { ...opts, createdAt: Number.NaN })).toThrow(TypeError);
  });
});

describe('httpStatusFor', () => {
  it('maps every result and error the same way', () => {
    expect(httpStatusFor({ ok: true })).toEqual({ status: 200 });
    expect(httpStatusFor({ ok: false, reason: 'malformed' })).toEqual({ status: 400 });
    expect(httpStatusFor({ ok: false, reason: 'mismatch' })).toEqual({ status: 401 });
    expect(httpStatusFor({ ok: false, reason: 'replayed' })).toEqual({ status: 401 });
    expect(httpStatusFor({ ok: false, reason: 'suspended' })).toEqual({ status: 403 });
    expect(httpStatusFor({ ok: false, reason: 'locked', retryAfterMs: 30_000 })).toEqual({ status: 429, retryAfter: 30 });
    expect(httpStatusFor({ ok: false, reason: 'cooldown', retryAfterMs: 1 })).toEqual({ status: 429, retryAfter: 1 });
    expect(httpStatusFor(new MfaError('STORE_UNAVAILABLE', 'x'))).toEqual({ status: 503 });
    expect(httpStatusFor(new MfaError('SECRET_DECRYPTION_FAILED', 'x'))).toEqual({ status: 500 });
    expect(httpStatusFor(new Error('boom'))).toEqual({ status: 500 });
    expect(httpStatusFor(undefined)).toEqual({ status: 500 });
  });
});

describe('status warnings', () => {
  it('says when recovery codes run low and when someone may be guessing', async () => {
    const h = harness({ policy: { throttle: { locks: [0], warnAfter: 3 } } });
    const { secret, recoveryCodes } = await enroll(h, 'u');
    expect((await h.mfa.status('u')).warnings).toEqual([]);
    for (const c of recoveryCodes.slice(0, 7)) expect((await h.mfa.verify('u', c)).ok).toBe(true);
    expect((await h.mfa.status('u')).warnings).toEqual(['recovery-codes-low']);
    for (let i = 0; i < 3; i++) await h.mfa.verify('u', wrongCode(secret, h.clock.t));
    expect((await h.mfa.status('u')).warnings).toEqual(['recovery-codes-low', 'failed-attempts']);
    expect(h.events.filter((e) => e.type === 'recovery.low').map((e) => (e.type === 'recovery.low' ? e.remaining : -1))).toEqual([3]);
    expect(h.events.filter((e) => e.type === 'throttle.warning')).toHaveLength(1);
  });

  it('flags an imported weak secret', async () => {
    const h = harness();
    await h.mfa.importFactor('u', { secret: 'JBSWY3DPEHPK3PXP' });
    expect((await h.mfa.status('u')).warnings).toEqual(['weak-secret']);
  });
});
