// Google Authenticator exports (otpauth-migration://offline?data=…): a protobuf
// MigrationPayload in base64. The reference encoder below writes the protobuf
// wire format independently of the reader under test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSecret, isMfaError, parseMigrationUri, parseOtpauthUri } from '../src/index.js';
import { mfaErrorMessage } from './expect-error.js';

interface RefAccount {
  secret: Uint8Array;
  name: string;
  issuer: string;
  algorithm: 0 | 1 | 2 | 3;
  digits: 0 | 1 | 2;
  type: 1 | 2;
  counter: bigint;
}

function varint(n: bigint): number[] {
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
}
const key = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));
const delimited = (field: number, bytes: ArrayLike<number>): number[] => [...key(field, 2), ...varint(BigInt(bytes.length)), ...Array.from(bytes)];
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function encodeAccount(a: RefAccount): number[] {
  return [
    ...delimited(1, a.secret),
    ...delimited(2, utf8(a.name)),
    ...delimited(3, utf8(a.issuer)),
    ...key(4, 0), ...varint(BigInt(a.algorithm)),
    ...key(5, 0), ...varint(BigInt(a.digits)),
    ...key(6, 0), ...varint(BigInt(a.type)),
    ...key(7, 0), ...varint(a.counter),
  ];
}

function exportUri(accounts: RefAccount[], batch = { size: 1, index: 0, id: 7 }, urlEncode = true): string {
  const bytes = [
    ...accounts.flatMap((a) => delimited(1, encodeAccount(a))),
    ...key(2, 0), ...varint(1n), // version
    ...key(3, 0), ...varint(BigInt(batch.size)),
    ...key(4, 0), ...varint(BigInt(batch.index)),
    ...key(5, 0), ...varint(BigInt(batch.id)),
  ];
  const b64 = btoa(String.fromCharCode(...bytes));
  return `otpauth-migration://offline?data=${urlEncode ? encodeURIComponent(b64) : b64}`;
}

const ALG = { 0: 'SHA1', 1: 'SHA1', 2: 'SHA256', 3: 'SHA512' } as const;

describe('parseMigrationUri', () => {
  it('reads an export of two accounts, as parseOtpauthUri would read their URIs', () => {
    const secret = utf8('12345678901234567890');
    const uri = exportUri([
      { secret, name: 'ACME:jane@example.com', issuer: 'ACME', algorithm: 1, digits: 1, type: 2, counter: 0n },
      { secret: utf8('Hello!\u00de'), name: 'jane', issuer: '', algorithm: 3, digits: 2, type: 1, counter: 2n ** 64n - 1n },
    ]);
    const { accounts, batchIndex, batchSize, batchId } = parseMigrationUri(uri);
    expect({ batchIndex, batchSize, batchId }).toEqual({ batchIndex: 0, batchSize: 1, batchId: 7 });
    expect(accounts[0]).toEqual(parseOtpauthUri(`otpauth://totp/ACME:jane@example.com?secret=${encodeSecret(secret)}&issuer=ACME`));
    expect(accounts[1]).toEqual({
      type: 'hotp',
      account: 'jane',
      secret: encodeSecret(utf8('Hello!\u00de')),
      weakSecret: true,
      algorithm: 'SHA512',
      digits: 8,
      counter: 2n ** 64n - 1n,
    });
  });

  it('round-trips any accounts the reference encoder writes (fast-check)', () => {
    const refAccount = fc.record({
      secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      name: fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => s.replace(/:/g, '')),
      issuer: fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/:/g, '')),
      algorithm: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
      digits: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
      type: fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>,
      counter: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    });
    fc.assert(
      fc.property(fc.array(refAccount, { minLength: 0, maxLength: 5 }), fc.boolean(), (accounts, urlEncode) => {
        const parsed = parseMigrationUri(exportUri(accounts, { size: 3, index: 2, id: 123456 }, urlEncode));
        expect(parsed.batchSize).toBe(3);
        expect(parsed.batchIndex).toBe(2);
        expect(parsed.accounts).toHaveLength(accounts.length);
        parsed.accounts.forEach((p, i) => {
          const a = accounts[i] as RefAccount;
          expect(p.secret).toBe(encodeSecret(a.secret));
          expect(p.weakSecret).toBe(a.secret.length < 16);
          expect(p.account).toBe(a.name.trim());
          expect(p.issuer).toBe(a.issuer.trim() || undefined);
          expect(p.algorithm).toBe(ALG[a.algorithm]);
          expect(p.digits).toBe(a.digits === 2 ? 8 : 6);
          expect(p.type).toBe(a.type === 1 ? 'hotp' : 'totp');
          if (a.type === 1) expect(BigInt(p.counter as number | bigint)).toBe(a.counter);
          else expect(p.period).toBe(30);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('every truncation of a valid export is INVALID_URI, never another exception or a wrong account', () => {
    const uri = exportUri([{ secret: utf8('12345678901234567890'), name: 'ACME:jane', issuer: 'ACME', algorithm: 1, digits: 1, type: 2, counter: 0n }]);
    const b64 = decodeURIComponent(uri.slice(uri.indexOf('=') + 1));
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    let refused = 0;
    for (let n = 1; n < bytes.length; n++) {
      const cut = `otpauth-migration://offline?data=${encodeURIComponent(btoa(String.fromCharCode(...bytes.subarray(0, n))))}`;
      try {
        const r = parseMigrationUri(cut);
        // A cut that falls between fields of the payload is a shorter, valid payload.
        for (const a of r.accounts) expect(a.secret).toBe(encodeSecret(utf8('12345678901234567890')));
      } catch (e) {
        expect(isMfaError(e, 'INVALID_URI')).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(bytes.length / 2);
  });

  it.each([
    ['otpauth://totp/a?secret=JBSWY3DPEHPK3PXP', 'not of the form otpauth-migration://offline'],
    ['otpauth-migration://offline?foo=bar', 'the data parameter is missing'],
    ['otpauth-migration://offline?data=%%%', 'not valid percent-encoding'],
    ['otpauth-migration://offline?data=ab*d', 'not base64'],
    ['otpauth-migration://offline?data=CgQKAA', 'truncated'], // account claims 4 bytes, holds 2
    ['otpauth-migration://offline?data=CgIKAA%3D%3D', 'account 1 has no secret'],
    ['otpauth-migration://offline?data=CwA', 'protobuf wire type 3'],
    [`otpauth-migration://offline?data=${btoa('\x0a\x05\x0a\x01\x41\x20\x04')}`, 'MD5'],
    [`otpauth-migration://offline?data=${btoa('\x08' + '\xff'.repeat(10) + '\x01')}`, 'longer than 10 bytes'],
    ['otpauth-migration://offline?data=' + 'A'.repeat(17000), 'longer than'],
  ])('%s → %s', (uri, reason) => {
    expect(mfaErrorMessage('INVALID_URI', () => parseMigrationUri(uri))).toContain(reason);
  });

  it('a foreign protobuf is refused or yields no accounts, never garbage secrets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          const r = parseMigrationUri(`otpauth-migration://offline?data=${encodeURIComponent(btoa(String.fromCharCode(...bytes)))}`);
          for (const a of r.accounts) expect(a.secret).toMatch(/^[A-Z2-7]+$/);
        } catch (e) {
          expect(isMfaError(e, 'INVALID_URI')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('non-strings are INVALID_URI', () => {
    for (const v of [undefined, null, 1, {}]) mfaErrorMessage('INVALID_URI', () => parseMigrationUri(v as never));
  });
});
