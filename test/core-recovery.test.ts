// Recovery codes: NIST SP 800-63B look-up secrets (§5.1.2), 120 bits each, Crockford base32.
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes, hashRecoveryCode, isMfaError, normalizeRecoveryCode } from '../src/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$/;

describe('generateRecoveryCodes', () => {
  it('10 codes of 24 Crockford characters (120 bits) in groups of four', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) {
      expect(code).toMatch(FORMAT);
      expect(code.replace(/-/g, '')).toHaveLength(24);
      expect(24 * Math.log2(CROCKFORD.length)).toBe(120);
    }
  });

  it('`count` from 1 to 100', () => {
    expect(generateRecoveryCodes({ count: 1 })).toHaveLength(1);
    expect(generateRecoveryCodes({ count: 100 })).toHaveLength(100);
    expect(() => generateRecoveryCodes({ count: 0 })).toThrow(RangeError);
    expect(() => generateRecoveryCodes({ count: 101 })).toThrow(/count/);
    expect(() => generateRecoveryCodes({ count: 2.5 })).toThrow(TypeError);
  });

  it('maps each random byte to one character (32 symbols: no modulo bias, no rejection)', () => {
    // Bytes 8, 9, 10 … : the mask keeps the low five bits, so byte i + 32k is symbol i.
    const codes = generateRecoveryCodes({ count: 2, random: (buf) => buf.forEach((_, i) => (buf[i] = (i + 8 + 64) & 0xff)) });
    for (const code of codes) expect(code.replace(/-/g, '')).toBe(CROCKFORD.slice(8));
  });

  it('codes are unique across many sets (CSPRNG)', () => {
    const all = Array.from({ length: 100 }, () => generateRecoveryCodes()).flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it('every symbol appears (the whole alphabet is used)', () => {
    const chars = new Set(generateRecoveryCodes({ count: 100 }).join('').replace(/-/g, ''));
    expect([...chars].sort().join('')).toBe(CROCKFORD);
  });
});

describe('normalizeRecoveryCode', () => {
  const code = '7K3M-Q9TD-0A1B-ZZ00-1111-VWXY';

  it.each([
    ['canonical', code],
    ['lower case', code.toLowerCase()],
    ['no dashes', code.replace(/-/g, '')],
    ['spaces', code.replace(/-/g, ' ')],
    ['mixed separators and padding', `  7k3m q9td-0a1b  zz00 - 1111 vwxy\t`],
    ['O for 0', '7K3M-Q9TD-OA1B-ZZOO-1111-VWXY'],
    ['I and L for 1', '7K3M-Q9TD-0AIB-ZZ00-lIiL-VWXY'],
  ])('%s', (_name, input) => {
    expect(normalizeRecoveryCode(input)).toBe(code);
  });

  it('is idempotent and agrees with every generated code', () => {
    for (const c of generateRecoveryCodes({ count: 50 })) {
      expect(normalizeRecoveryCode(c)).toBe(c);
      expect(normalizeRecoveryCode(c.toLowerCase().replace(/-/g, ' '))).toBe(c);
    }
  });

  it.each([
    ['empty', ''],
    ['too short', '7K3M-Q9TD-0A1B-ZZ00-1111-VWX'],
    ['too long', '7K3M-Q9TD-0A1B-ZZ00-1111-VWXYZ'],
    ['U is not Crockford', '7K3M-Q9TD-0A1B-ZZ00-1111-VWXU'],
    ['punctuation', '7K3M.Q9TD.0A1B.ZZ00.1111.VWXY'],
    ['non-ASCII letter', '7K3M-Q9TD-0A1B-ZZ00-1111-VWXÉ'],
    ['fullwidth', '７K3M-Q9TD-0A1B-ZZ00-1111-VWXY'],
    ['NUL byte', '7K3M-Q9TD-0A1B-ZZ00-1111-VWX\u0000'],
    ['huge', 'A'.repeat(1_000_000)],
    ['a TOTP code', '123456'],
  ])('%s → null', (_name, input) => {
    expect(normalizeRecoveryCode(input)).toBeNull();
  });

  it('a non-string is null, never an exception (it is end-user input)', () => {
    for (const value of [undefined, null, 42, {}, ['7K3M'], new Uint8Array(24)]) expect(normalizeRecoveryCode(value as never)).toBeNull();
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const n = normalizeRecoveryCode(s);
        if (n !== null) expect(n).toMatch(FORMAT);
      }),
    );
  });
});

describe('hashRecoveryCode', () => {
  const code = '7K3M-Q9TD-0A1B-ZZ00-1111-VWXY';

  it('without a pepper: SHA-256 of the canonical form, lower-case hex', () => {
    const expected = createHash('sha256').update(code, 'utf8').digest('hex');
    expect(hashRecoveryCode(code)).toBe(expected);
    expect(hashRecoveryCode(code)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('with a pepper: HMAC-SHA-256 keyed by it, string or bytes', () => {
    const pepper = 'host pepper from the secret store';
    const expected = createHmac('sha256', pepper).update(code, 'utf8').digest('hex');
    expect(hashRecoveryCode(code, { pepper })).toBe(expected);
    expect(hashRecoveryCode(code, { pepper: new TextEncoder().encode(pepper) })).toBe(expected);
    expect(hashRecoveryCode(code, { pepper })).not.toBe(hashRecoveryCode(code));
    expect(hashRecoveryCode(code, { pepper: 'another pepper' })).not.toBe(expected);
  });

  it('every way of typing a code hashes the same', () => {
    const h = hashRecoveryCode(code, { pepper: 'p' });
    expect(hashRecoveryCode('7k3m q9td oaib zzoo llll vwxy', { pepper: 'p' })).toBe(h);
  });

  it('distinct codes have distinct digests', () => {
    const codes = generateRecoveryCodes({ count: 100 });
    expect(new Set(codes.map((c) => hashRecoveryCode(c))).size).toBe(100);
  });

  it('refuses a non-code with INVALID_RECOVERY_CODE, without echoing it', () => {
    for (const input of ['', 'nope', '7K3M-Q9TD-0A1B-ZZ00-1111', 'A'.repeat(1000), 42 as never]) {
      try {
        hashRecoveryCode(input);
        throw new Error('expected INVALID_RECOVERY_CODE');
      } catch (e) {
        expect(isMfaError(e, 'INVALID_RECOVERY_CODE')).toBe(true);
        expect((e as Error).message).not.toContain('7K3M');
      }
    }
  });

  it('a bad pepper is a TypeError naming it', () => {
    for (const pepper of ['', new Uint8Array(0), 42, null, {}]) {
      expect(() => hashRecoveryCode(code, { pepper: pepper as never })).toThrow(TypeError);
      expect(() => hashRecoveryCode(code, { pepper: pepper as never })).toThrow(/pepper/);
    }
  });
});
