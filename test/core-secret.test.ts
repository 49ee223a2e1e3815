// Secrets: generation, base32 (RFC 4648 §6) encoding and the lenient decoding people need.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSecret, encodeSecret, formatSecret, generateHotp, generateSecret, generateTotp, verifyTotp } from '../src/index.js';
import { mfaErrorMessage } from './expect-error.js';

const BASE32 = /^[A-Z2-7]+$/;

describe('base32 round trip', () => {
  it('decodeSecret(encodeSecret(bytes)) is bytes, and the text is unpadded upper-case base32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        const text = encodeSecret(bytes);
        expect(text).toMatch(BASE32);
        expect(text.length).toBe(Math.ceil((bytes.length * 8) / 5));
        expect(decodeSecret(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('RFC 4648 §10 test vectors', () => {
    const ascii = (s: string) => new TextEncoder().encode(s);
    const vectors: Array<[string, string]> = [
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeSecret(ascii(plain))).toBe(encoded);
      expect(decodeSecret(encoded)).toEqual(ascii(plain));
    }
  });

  it('the RFC 4226 key in base32', () => {
    expect(encodeSecret(new TextEncoder().encode('12345678901234567890'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});

describe('lenient decoding accepts every variant people type of a valid secret', () => {
  // A variant: lower-cased letters, separators between characters, missing or extra padding.
  const variant = fc.record({
    lower: fc.array(fc.boolean(), { minLength: 400, maxLength: 400 }),
    seps: fc.array(fc.constantFrom('', '', '', ' ', '-', '  ', ' - ', '\t'), { minLength: 400, maxLength: 400 }),
    padding: fc.constantFrom('none', 'exact', 'extra'),
    trailing: fc.constantFrom('', ' ', '\n', '\r\n'),
  });

  it('spaces, dashes, lower case and missing or extra `=` decode to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), variant, (bytes, v) => {
        const canonical = encodeSecret(bytes);
        let text = '';
        for (let i = 0; i < canonical.length; i++) {
          const ch = canonical[i] as string;
          text += (v.lower[i] ? ch.toLowerCase() : ch) + (i < canonical.length - 1 ? (v.seps[i] as string) : '');
        }
        const exact = (8 - (canonical.length % 8)) % 8;
        if (v.padding === 'exact') text += '='.repeat(exact);
        if (v.padding === 'extra') text += '='.repeat(exact + 3);
        text += v.trailing;
        expect(decodeSecret(text)).toEqual(bytes);
        // The same key in any spelling gives the same code.
        if (bytes.length >= 16) expect(generateHotp(text, 7)).toBe(generateHotp(bytes, 7));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    'JBSWY3DPEHPK3PXP',
    'jbswy3dpehpk3pxp',
    'jbsw y3dp ehpk 3pxp',
    'JBSW-Y3DP-EHPK-3PXP',
    'JBSWY3DPEHPK3PXP======',
    ' jbswy3dpehpk3pxp= ',
  ])('%j', (text) => {
    expect(encodeSecret(decodeSecret(text))).toBe('JBSWY3DPEHPK3PXP');
  });
});

describe('decodeSecret refuses what is not base32, naming the character', () => {
  it.each([
    // Positions are 1-based, as a person counts.
    ['JBSWY3DP1HPK3PXP', "'1'", 'position 9,'],
    ['JBSWY3DP0HPK3PXP', "'0'", 'position 9,'],
    ['JBSWY3DPEHPK3PX8', "'8'", 'position 16,'],
    ['JBSW=Y3DP', "'='", 'position 5,'],
    ['JBSWY3DPé', 'U+00E9', 'position 9,'],
    ['JBSW\u0000Y3DP', 'U+0000', 'position 5,'],
    ['ＪＢＳＷ', 'U+FF2A', 'position 1,'],
    ['JBSW😀', 'U+1F600', 'position 5,'],
    ['!JBSW', "'!'", 'position 1,'],
  ])('%j → %s at %s', (text, char, where) => {
    const message = mfaErrorMessage('INVALID_SECRET', () => decodeSecret(text));
    expect(message).toContain(char);
    expect(message).toContain(where);
  });

  it('the message never repeats the secret', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ!';
    expect(mfaErrorMessage('INVALID_SECRET', () => decodeSecret(secret))).not.toContain('GEZDGNBV');
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['====', 'empty'],
    ['A', 'whole number of bytes'],
    ['ABC', 'whole number of bytes'],
    ['ABCDEF', 'whole number of bytes'],
    ['A'.repeat(4097), 'too long'],
  ])('%j → INVALID_SECRET (%s)', (text, words) => {
    expect(mfaErrorMessage('INVALID_SECRET', () => decodeSecret(text))).toContain(words);
  });

  it('a non-string is a TypeError, not a domain error', () => {
    expect(() => decodeSecret(42 as never)).toThrow(TypeError);
    expect(() => decodeSecret(new Uint8Array(20) as never)).toThrow(/secret text must be a string/);
  });
});

describe('formatSecret', () => {
  it('groups a secret by four for typing, and decodes back to the same bytes', () => {
    expect(formatSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(formatSecret('jbsw y3dp-ehpk3pxp==')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(formatSecret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGE')).toBe('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ GE');
    expect(formatSecret('')).toBe('');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const text = encodeSecret(bytes);
        expect(decodeSecret(formatSecret(text))).toEqual(bytes);
        expect(formatSecret(text).replaceAll(' ', '')).toBe(text);
      }),
    );
  });

  it('refuses what is not a string', () => {
    for (const bad of [null, undefined, 42, new Uint8Array(4)]) expect(() => formatSecret(bad as never)).toThrow(TypeError);
  });
});

describe('generateSecret', () => {
  it('20 random bytes by default, as unpadded upper-case base32 (RFC 4226 §4 R6)', () => {
    const s = generateSecret();
    expect(s).toMatch(BASE32);
    expect(s).toHaveLength(32);
    expect(decodeSecret(s)).toHaveLength(20);
  });

  it('`bytes` sets the length, 16–1024', () => {
    for (const bytes of [16, 20, 32, 64, 1024]) expect(decodeSecret(generateSecret({ bytes }))).toHaveLength(bytes);
    expect(() => generateSecret({ bytes: 15 })).toThrow(RangeError);
    expect(() => generateSecret({ bytes: 1025 })).toThrow(/bytes/);
  });

  it('uses the injected random source, byte for byte', () => {
    const fixed = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
    const s = generateSecret({ random: (buf) => buf.set(fixed.subarray(0, buf.length)) });
    expect(decodeSecret(s)).toEqual(fixed);
  });

  it('differs between calls (CSPRNG)', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generateSecret()));
    expect(seen.size).toBe(200);
  });
});

describe('short secrets: made never, computed with always (RFC 4226 §4 R6)', () => {
  // The Key URI Format's own example secret: 10 bytes, as GitHub, Discord and Microsoft issue.
  const tenBytes = 'JBSWY3DPEHPK3PXP';
  it('are computed with, without any option', () => {
    // oathtool --totp --base32 JBSWY3DPEHPK3PXP --now '1970-01-01 00:00:59 UTC' prints 996554.
    expect(generateTotp(tenBytes, { now: 59_000 })).toBe('996554');
    expect(verifyTotp(tenBytes, '996554', { now: 59_000 })).toMatchObject({ ok: true, step: 1 });
    expect(generateHotp(new Uint8Array(1), 0)).toMatch(/^[0-9]{6}$/);
  });
  it('an empty key is refused', () => {
    expect(mfaErrorMessage('INVALID_SECRET', () => generateHotp(new Uint8Array(0), 0))).toContain('empty');
    expect(mfaErrorMessage('INVALID_SECRET', () => verifyTotp('  ==', '123456'))).toContain('empty');
  });
  it('generateSecret never makes one', () => {
    expect(() => generateSecret({ bytes: 15 })).toThrow(RangeError);
    expect(decodeSecret(generateSecret({ bytes: 16 }))).toHaveLength(16);
  });
});
