// otpauth:// URIs in the Key URI Format (google/google-authenticator wiki "Key Uri Format").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildOtpauthUri, encodeSecret, generateSecret, isMfaError, MfaError, parseOtpauthUri, type OtpauthUriParams } from '../src/index.js';
import { mfaErrorMessage } from './expect-error.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

// Issuers and accounts people have: Unicode, URI delimiters, percent signs, plus signs, e-mail addresses.
// Colons are refused by design (the label separator); surrounding whitespace is refused (parsers trim it).
const special = fc.constantFrom('&', '=', '?', '#', '%', '+', '@', '/', ' ', '%3A', '%20', 'é', '日本', '😀', '\u00a0', '.', '~', "'", '"', '<');
const labelPart = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), special), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join('').replace(/:/g, '').trim())
  .filter((s) => s.length > 0);

describe('build → parse round trip', () => {
  it('over arbitrary issuers and accounts, every type and option', () => {
    fc.assert(
      fc.property(
        fc.option(labelPart, { nil: undefined }),
        labelPart,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.constantFrom('SHA1', 'SHA256', 'SHA512') as fc.Arbitrary<'SHA1' | 'SHA256' | 'SHA512'>,
        fc.integer({ min: 6, max: 10 }),
        fc.oneof(
          fc.record({ type: fc.constant('totp' as const), period: fc.integer({ min: 1, max: 3600 }) }),
          fc.record({ type: fc.constant('hotp' as const), counter: fc.maxSafeNat() }),
        ),
        fc.option(fc.webUrl(), { nil: undefined }),
        (issuer, account, secret, algorithm, digits, kind, image) => {
          const params: OtpauthUriParams = { account, secret, algorithm, digits, ...kind };
          if (issuer !== undefined) params.issuer = issuer;
          if (image !== undefined) params.image = image;
          const uri = buildOtpauthUri(params);
          expect(uri).toMatch(/^otpauth:\/\/(totp|hotp)\/[^?#]+\?[^#]*$/);
          expect(uri).not.toContain('+'); // spaces are %20 and plus signs %2B: never a bare +
          expect(uri).not.toMatch(/\s/);
          const parsed = parseOtpauthUri(uri);
          expect(parsed).toEqual({
            ...(issuer === undefined ? {} : { issuer }),
            account,
            secret: encodeSecret(secret),
            weakSecret: secret.length < 16,
            algorithm,
            digits,
            ...kind,
            ...(image === undefined ? {} : { image }),
          });
          expect(Uint8Array.from(decodeBase32(parsed.secret))).toEqual(secret);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Independent RFC 4648 base32 decoder, so the round trip does not trust decodeSecret. */
function decodeBase32(text: string): number[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

describe('build never emits a URI that parse refuses or changes', () => {
  it('over any strings: either a caller-mistake error, or an exact round trip', () => {
    const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 20 }), special);
    fc.assert(
      fc.property(fc.option(anyText, { nil: undefined }), anyText, (issuer, account) => {
        let uri: string;
        try {
          uri = buildOtpauthUri({ account, secret: SECRET, ...(issuer === undefined ? {} : { issuer }) });
        } catch (e) {
          expect(e instanceof RangeError).toBe(true);
          return;
        }
        const parsed = parseOtpauthUri(uri);
        expect(parsed.account).toBe(account);
        expect(parsed.issuer).toBe(issuer);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('buildOtpauthUri', () => {
  it('writes the label as Issuer:account with %20, repeats the issuer, omits default options', () => {
    expect(buildOtpauthUri({ issuer: 'ACME Co', account: 'jane@example.com', secret: SECRET })).toBe(
      `otpauth://totp/ACME%20Co:jane%40example.com?secret=${SECRET}&issuer=ACME%20Co`,
    );
  });

  it('writes non-default algorithm, digits and period; HOTP carries the counter', () => {
    expect(buildOtpauthUri({ account: 'a', secret: SECRET, algorithm: 'SHA256', digits: 8, period: 60 })).toBe(
      `otpauth://totp/a?secret=${SECRET}&algorithm=SHA256&digits=8&period=60`,
    );
    expect(buildOtpauthUri({ type: 'hotp', account: 'a', secret: SECRET, counter: 0 })).toBe(`otpauth://hotp/a?secret=${SECRET}&counter=0`);
  });

  it('normalises a typed secret to canonical base32', () => {
    expect(buildOtpauthUri({ account: 'a', secret: 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq' })).toContain(`secret=${SECRET}&`.slice(0, -1));
  });

  it.each([
    [{ account: 'a:b', secret: SECRET }, RangeError, /account must not contain a colon/],
    [{ issuer: 'AC:ME', account: 'a', secret: SECRET }, RangeError, /issuer must not contain a colon/],
    [{ account: '', secret: SECRET }, RangeError, /account/],
    [{ account: '   ', secret: SECRET }, RangeError, /account/],
    [{ account: ' jane', secret: SECRET }, RangeError, /account/],
    [{ issuer: 'ACME ', account: 'a', secret: SECRET }, RangeError, /issuer/],
    [{ issuer: '', account: 'a', secret: SECRET }, RangeError, /issuer/],
    [{ account: '\ud800', secret: SECRET }, RangeError, /account/],
    [{ account: 'a', secret: SECRET, image: '\udfff' }, RangeError, /image/],
    [{ account: 42, secret: SECRET }, TypeError, /account must be a string/],
    [{ type: 'hotp', account: 'a', secret: SECRET }, TypeError, /counter is required/],
    [{ account: 'a', secret: SECRET, counter: 1 }, TypeError, /counter is only for hotp/],
    [{ type: 'motp', account: 'a', secret: SECRET }, TypeError, /type/],
    [{ account: 'a', secret: SECRET, period: 0 }, RangeError, /period/],
    [{ account: 'a', secret: SECRET, digits: 5 }, RangeError, /digits/],
  ])('%j → %o', (params, type, message) => {
    expect(() => buildOtpauthUri(params as never)).toThrow(type);
    expect(() => buildOtpauthUri(params as never)).toThrow(message);
  });

  it('a legacy 10-byte secret is written as it is; an empty one is refused', () => {
    expect(buildOtpauthUri({ account: 'a', secret: 'JBSWY3DPEHPK3PXP' })).toBe('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP');
    expect(() => buildOtpauthUri({ account: 'a', secret: new Uint8Array(0) })).toThrow(MfaError);
  });
});

describe('parseOtpauthUri leniency', () => {
  const expected = { type: 'totp', issuer: 'ACME Co', account: 'jane@example.com', secret: SECRET, weakSecret: false, algorithm: 'SHA1', digits: 6, period: 30 };

  it.each([
    ['canonical', `otpauth://totp/ACME%20Co:jane%40example.com?secret=${SECRET}&issuer=ACME%20Co`],
    ['%3A for the colon', `otpauth://totp/ACME%20Co%3Ajane%40example.com?secret=${SECRET}&issuer=ACME%20Co`],
    ['spaces after the colon', `otpauth://totp/ACME%20Co:%20%20jane@example.com?secret=${SECRET}&issuer=ACME%20Co`],
    ['+ for a space in a parameter', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME+Co`],
    ['upper-case scheme, type and names', `OTPAUTH://TOTP/ACME%20Co:jane@example.com?SECRET=${SECRET}&Issuer=ACME%20Co`],
    ['lower-case padded secret', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET.toLowerCase()}%3D%3D&issuer=ACME%20Co`],
    ['issuer only in the label', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}`],
    ['issuer only as a parameter', `otpauth://totp/jane@example.com?secret=${SECRET}&issuer=ACME%20Co`],
    ['a fragment and empty pairs', `otpauth://totp/ACME%20Co:jane@example.com?&secret=${SECRET}&&issuer=ACME%20Co#x`],
    ['surrounding whitespace', `  otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co\n`],
    ['defaults written out', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co&algorithm=sha1&digits=6&period=30`],
    ['+ for a space in the label', `otpauth://totp/ACME+Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co`],
    ['SHA-1 spelling', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co&algorithm=SHA-1`],
    ['unknown parameters', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co&foo=bar&lock=true&encoder=`],
    ['the same parameter twice with one value', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co&issuer=ACME%20Co`],
    ['empty optional parameters', `otpauth://totp/ACME%20Co:jane@example.com?secret=${SECRET}&issuer=ACME%20Co&digits=&period=&algorithm=&image=`],
  ])('%s', (_name, uri) => {
    expect(parseOtpauthUri(uri)).toEqual(expected);
  });

  it('no issuer at all', () => {
    expect(parseOtpauthUri(`otpauth://totp/jane?secret=${SECRET}`)).toEqual({ ...expected, issuer: undefined, account: 'jane' });
    expect('issuer' in parseOtpauthUri(`otpauth://totp/jane?secret=${SECRET}`)).toBe(false);
  });

  it('HOTP with counter, image passed through, options read', () => {
    const uri = `otpauth://hotp/ACME:jane?secret=${SECRET}&issuer=ACME&counter=9007199254740991&algorithm=SHA512&digits=8&image=https%3A%2F%2Fexample.com%2Flogo.png`;
    expect(parseOtpauthUri(uri)).toEqual({
      type: 'hotp',
      issuer: 'ACME',
      account: 'jane',
      secret: SECRET,
      weakSecret: false,
      algorithm: 'SHA512',
      digits: 8,
      counter: Number.MAX_SAFE_INTEGER,
      image: 'https://example.com/logo.png',
    });
  });

  it('the Key URI Format example: a 10-byte secret, parsed and flagged weak', () => {
    expect(parseOtpauthUri('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example')).toEqual({
      type: 'totp',
      issuer: 'Example',
      account: 'alice@google.com',
      secret: 'JBSWY3DPEHPK3PXP',
      weakSecret: true,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    });
    expect(parseOtpauthUri(`otpauth://totp/a?secret=${'A'.repeat(24)}`).weakSecret).toBe(true); // 15 bytes
    expect(parseOtpauthUri(`otpauth://totp/a?secret=${'A'.repeat(26)}`).weakSecret).toBe(false); // 16 bytes
  });

  it('the issuer parameter wins over a differing label prefix, which is kept as labelIssuer', () => {
    const slack = parseOtpauthUri(`otpauth://totp/Slack%20(Workspace):jane@example.com?secret=${SECRET}&issuer=Slack`);
    expect(slack).toMatchObject({ issuer: 'Slack', labelIssuer: 'Slack (Workspace)', account: 'jane@example.com' });
    const ms = parseOtpauthUri(`otpauth://totp/Some+Company%3Ajane@example.com?secret=${SECRET}&issuer=Microsoft`);
    expect(ms).toMatchObject({ issuer: 'Microsoft', labelIssuer: 'Some Company', account: 'jane@example.com' });
    expect('labelIssuer' in parseOtpauthUri(`otpauth://totp/ACME:jane?secret=${SECRET}&issuer=ACME`)).toBe(false);
  });

  it('an issuer parameter with a colon is found whole at the start of the label', () => {
    const gitea = parseOtpauthUri(`otpauth://totp/https%3A%2F%2Fgit.example.com%2F:jane?secret=${SECRET}&issuer=https%3A%2F%2Fgit.example.com%2F`);
    expect(gitea).toMatchObject({ issuer: 'https://git.example.com/', account: 'jane' });
    expect('labelIssuer' in gitea).toBe(false);
  });

  it('an empty account parses as the empty string', () => {
    expect(parseOtpauthUri(`otpauth://totp/crossout:?secret=${SECRET}`)).toMatchObject({ issuer: 'crossout', account: '' });
    expect(parseOtpauthUri(`otpauth://totp/?secret=${SECRET}`).account).toBe('');
  });

  it.each([
    ['SHA-256', 'SHA256'],
    ['sha512', 'SHA512'],
    ['Sha_1', 'SHA1'],
    [' SHA256 ', 'SHA256'],
  ])('algorithm=%s reads as %s', (text, algorithm) => {
    expect(parseOtpauthUri(`otpauth://totp/a?secret=${SECRET}&algorithm=${encodeURIComponent(text)}`).algorithm).toBe(algorithm);
  });

  it('HOTP counters up to 2^64−1, as a bigint above 2^53−1', () => {
    expect(parseOtpauthUri(`otpauth://hotp/a?secret=${SECRET}&counter=9007199254740992`).counter).toBe(2n ** 53n);
    expect(parseOtpauthUri(`otpauth://hotp/a?secret=${SECRET}&counter=18446744073709551615`).counter).toBe(2n ** 64n - 1n);
  });
});

describe('parseOtpauthUri refuses broken URIs with INVALID_URI and a reason', () => {
  it.each([
    ['', 'not of the form'],
    ['https://example.com', 'not of the form'],
    [`otpauth://?secret=${SECRET}`, 'type must be totp or hotp'],
    [`otpauth://motp/a?secret=${SECRET}`, 'type must be totp or hotp'],
    ['otpauth://totp/a', 'secret parameter is missing'],
    ['otpauth://totp/a?secret=', 'secret parameter is missing'],
    ['otpauth://totp/a?secret=GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ', "the secret parameter is not base32: secret contains '1' (U+0031) at position 16"],
    ['otpauth://totp/a?secret=%20%3D', 'the secret parameter is not base32: secret is empty'],
    ['otpauth://totp/a?secret=ABC', 'not a whole number of bytes'],
    [`otpauth://totp/a?secret=${SECRET}&secret=JBSWY3DPEHPK3PXP`, 'secret parameter appears twice with different values'],
    ['otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC', 'parseMigrationUri'],
    [`otpauth://totp/a?secret=${SECRET}&algorithm=MD5`, 'algorithm'],
    [`otpauth://totp/a?secret=${SECRET}&digits=5`, 'digits parameter must be between 6 and 10'],
    [`otpauth://totp/a?secret=${SECRET}&digits=six`, 'digits parameter must be a whole number'],
    [`otpauth://totp/a?secret=${SECRET}&period=0`, 'period parameter must be between'],
    [`otpauth://totp/a?secret=${SECRET}&period=-30`, 'period parameter must be a whole number'],
    [`otpauth://hotp/a?secret=${SECRET}`, 'needs a counter'],
    [`otpauth://hotp/a?secret=${SECRET}&counter=18446744073709551616`, 'counter parameter must be at most 2^64−1'],
    [`otpauth://hotp/a?secret=${SECRET}&counter=-1`, 'counter parameter must be a whole number'],
    [`otpauth://totp/a?secret=${SECRET}&algorithm=SHA-2`, 'algorithm parameter must be one of'],
    [`otpauth://totp/a%ZZ?secret=${SECRET}`, 'label is not valid percent-encoding'],
    [`otpauth://totp/a?secret=${SECRET}&issuer=%E0%A4%A`, 'not valid percent-encoding'],
    [`otpauth://totp/${'a'.repeat(9000)}?secret=${SECRET}`, 'longer than'],
  ])('%j → %s', (uri, reason) => {
    expect(mfaErrorMessage('INVALID_URI', () => parseOtpauthUri(uri))).toContain(reason);
  });

  it('the message never contains the secret', () => {
    const uri = `otpauth://totp/ACME:a?secret=${SECRET}&secret=${SECRET.slice(0, 16)}`;
    expect(mfaErrorMessage('INVALID_URI', () => parseOtpauthUri(uri))).not.toContain(SECRET.slice(0, 8));
    const bad = `otpauth://totp/a?secret=${SECRET.slice(0, 20)}!${SECRET.slice(21)}`;
    expect(mfaErrorMessage('INVALID_URI', () => parseOtpauthUri(bad))).not.toContain(SECRET.slice(0, 8));
  });

  it('a non-string is INVALID_URI too', () => {
    for (const value of [undefined, null, 42, {}, new URL('https://x')]) mfaErrorMessage('INVALID_URI', () => parseOtpauthUri(value as never));
  });

  it('arbitrary strings never produce any other exception', () => {
    const prefix = fc.constantFrom('', 'otpauth://', 'otpauth://totp/', 'otpauth://hotp/', 'OTPAUTH://TOTP/a:b?');
    const tail = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc
        .array(fc.constantFrom('secret=', SECRET, 'issuer=', 'counter=', '1', '&', '=', '?', '#', '%', '%3A', ':', '/', '+', ' ', '%E0', 'digits=', 'period=', 'algorithm=', 'SHA256'), {
          maxLength: 30,
        })
        .map((a) => a.join('')),
    );
    fc.assert(
      fc.property(prefix, tail, (p, t) => {
        try {
          parseOtpauthUri(p + t);
        } catch (e) {
          expect(isMfaError(e, 'INVALID_URI')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a generated secret survives a full round trip', () => {
    const secret = generateSecret();
    expect(parseOtpauthUri(buildOtpauthUri({ issuer: 'X', account: 'y', secret })).secret).toBe(secret);
  });
});
