// importFactor: authenticators users already have, moved from another system.
// Records shaped as speakeasy and otplib hosts keep them (speakeasy's
// `generateSecret()` returns { ascii, hex, base32, otpauth_url }; otplib's
// `authenticator.generateSecret()` a 16-character base32 string, 10 bytes).
// The values are made up for this test; only the shapes are theirs.
import { describe, expect, it } from 'vitest';
import { decodeSecret, generateHotp, generateTotp, isMfaError, parseOtpauthUri, timeStep } from '../src/index.js';
import { codeAt, enroll, harness, STEP } from './mfa-fixtures.js';

// The Key URI Format's own example secret (10 bytes, what otplib generates by default).
const OTPLIB_SECRET = 'JBSWY3DPEHPK3PXP';
const SPEAKEASY = {
  hex: '64512544595e3c486f566b4d2e523173295e7721',
  base32: 'MRISKRCZLY6EQ32WNNGS4URROMUV45ZB',
  otpauth_url: 'otpauth://totp/SecretKey?secret=MRISKRCZLY6EQ32WNNGS4URROMUV45ZB',
};

describe('importFactor', () => {
  it('an otplib secret (10 bytes) becomes an active factor, flagged weak, with the first recovery codes', async () => {
    const h = harness();
    const r = await h.mfa.importFactor('u', { secret: OTPLIB_SECRET, label: 'Old app' });
    expect(r).toMatchObject({ factorId: expect.any(String), weakSecret: true });
    expect(r.recoveryCodes).toHaveLength(10);
    expect(await h.mfa.listFactors('u')).toMatchObject([{ id: r.factorId, label: 'Old app', state: 'active', weakSecret: true }]);
    expect(await h.mfa.verify('u', codeAt(OTPLIB_SECRET, h.clock.t))).toMatchObject({ ok: true, factorId: r.factorId });
    expect(JSON.stringify(h.events)).not.toContain(OTPLIB_SECRET);
  });

  it('a speakeasy record (base32, lower case as some hosts store it) is not weak', async () => {
    const h = harness();
    expect(Buffer.from(SPEAKEASY.hex, 'hex')).toEqual(Buffer.from(decodeSecret(SPEAKEASY.base32)));
    const r = await h.mfa.importFactor('u', { secret: SPEAKEASY.base32.toLowerCase() });
    expect(r.weakSecret).toBe(false);
    expect((await h.mfa.verify('u', generateTotp(SPEAKEASY.base32, { now: h.clock.t }))).ok).toBe(true);
  });

  it('keeps codes the old system accepted used: lastStep', async () => {
    const h = harness();
    const step = timeStep(h.clock.t);
    await h.mfa.importFactor('u', { secret: OTPLIB_SECRET, lastStep: step });
    expect(await h.mfa.verify('u', codeAt(OTPLIB_SECRET, h.clock.t))).toEqual({ ok: false, reason: 'replayed' });
    h.clock.t += STEP;
    expect((await h.mfa.verify('u', codeAt(OTPLIB_SECRET, h.clock.t))).ok).toBe(true);
  });

  it('an otpauth URI with its own parameters: 8 digits, SHA256, 60 s', async () => {
    const h = harness();
    const uri = 'otpauth://totp/ACME:jane@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME&algorithm=SHA256&digits=8&period=60';
    const { secret, algorithm, digits, period } = parseOtpauthUri(uri);
    await h.mfa.importFactor('u', { secret, algorithm, digits, period });
    const code = generateTotp(secret, { now: h.clock.t, algorithm: 'SHA256', digits: 8, period: 60 });
    // Shapes no factor of the user takes are malformed, and cost nothing.
    expect(await h.mfa.verify('u', code.slice(0, 6))).toEqual({ ok: false, reason: 'malformed' });
    expect(await h.mfa.verify('u', code.slice(0, 7))).toEqual({ ok: false, reason: 'malformed' });
    expect((await h.store.getUser('u')).attempts.failures).toBe(0);
    expect(await h.mfa.verify('u', code)).toMatchObject({ ok: true, method: 'totp' });
  });

  it('an HOTP-era secret given as bytes works too', async () => {
    const h = harness();
    const bytes = new TextEncoder().encode('12345678901234567890');
    await h.mfa.importFactor('u', { secret: bytes });
    expect(bytes.every((b, i) => b === '12345678901234567890'.charCodeAt(i))).toBe(true); // the caller's bytes are not zeroed
    expect(generateHotp(bytes, 0)).toBe('755224');
    expect((await h.mfa.verify('u', generateTotp(bytes, { now: h.clock.t }))).ok).toBe(true);
  });

  it('beside an enrolled factor: no new recovery codes; the limit holds', async () => {
    const h = harness({ maxFactors: 2 });
    await enroll(h, 'u');
    const r = await h.mfa.importFactor('u', { secret: OTPLIB_SECRET });
    expect(r.recoveryCodes).toBeUndefined();
    await expect(h.mfa.importFactor('u', { secret: OTPLIB_SECRET, label: 'third' })).rejects.toSatisfy((e) => isMfaError(e, 'FACTOR_LIMIT'));
  });

  it('refuses bad input with typed errors', async () => {
    const h = harness();
    await expect(h.mfa.importFactor('u', { secret: 'not base32!' })).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_SECRET'));
    await expect(h.mfa.importFactor('u', { secret: '' })).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_SECRET'));
    await expect(h.mfa.importFactor('u', { secret: new Uint8Array(0) })).rejects.toSatisfy((e) => isMfaError(e, 'INVALID_SECRET'));
    await expect(h.mfa.importFactor('u', { secret: OTPLIB_SECRET, digits: 5 })).rejects.toThrow(RangeError);
    await expect(h.mfa.importFactor('u', { secret: OTPLIB_SECRET, lastStep: 1.5 })).rejects.toThrow(TypeError);
    await expect(h.mfa.importFactor('u', { secret: OTPLIB_SECRET, algorithm: 'MD5' as never })).rejects.toThrow(TypeError);
    await expect(h.mfa.importFactor('u', null as never)).rejects.toThrow(TypeError);
    expect(await h.mfa.listFactors('u')).toEqual([]);
  });
});
