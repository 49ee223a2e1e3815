// mfakit/algorithms: SHA224, SHA384, SHA3-256 and SHA3-512 through @noble/hashes,
// opted into with registerAlgorithms and checked against node:crypto HMAC.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extraAlgorithms, SHA224, SHA384, SHA3_256, SHA3_512 } from '../src/algorithms.js';
import {
  buildOtpauthUri,
  createTotpVerifier,
  generateHotp,
  generateTotp,
  parseOtpauthUri,
  registerAlgorithms,
  verifyHotp,
  verifyTotp,
  type ExtraAlgorithm,
} from '../src/index.js';
import { dynamicTruncate } from '../src/internal/hmac.js';

const NODE_NAMES: Record<ExtraAlgorithm, string> = { SHA224: 'sha224', SHA384: 'sha384', 'SHA3-256': 'sha3-256', 'SHA3-512': 'sha3-512' };
const NAMES = Object.keys(NODE_NAMES) as ExtraAlgorithm[];
const KEY = new TextEncoder().encode('12345678901234567890');

/** RFC 4226 §5.1–5.3 on node:crypto's HMAC: the counter as 8 big-endian bytes. */
function nodeHotp(algorithm: ExtraAlgorithm, key: Uint8Array, counter: bigint, digits: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const snum = dynamicTruncate(createHmac(NODE_NAMES[algorithm], key).update(msg).digest());
  return String(snum % 10 ** digits).padStart(digits, '0');
}

// Registration is per copy of mfakit and lasts; this file's first test runs before any.
describe('before registerAlgorithms', () => {
  it.each(NAMES)('computing with %s throws a TypeError that names the import', (algorithm) => {
    const id = algorithm.replace('-', '_');
    const hint = `algorithm ${algorithm} is not registered: import { ${id} } from 'mfakit/algorithms' and call registerAlgorithms(${id}) once`;
    expect(() => generateTotp(KEY, { algorithm })).toThrow(new TypeError(hint));
    expect(() => verifyTotp(KEY, '123456', { algorithm })).toThrow(TypeError);
    expect(() => createTotpVerifier(KEY, { algorithm })).toThrow(TypeError);
    expect(() => generateHotp(KEY, 0, { algorithm })).toThrow(TypeError);
    expect(() => verifyHotp(KEY, '123456', 0, { algorithm })).toThrow(TypeError);
  });

  it.each(NAMES)('URIs with %s are built and parsed by name without it', (algorithm) => {
    const uri = buildOtpauthUri({ account: 'jane', secret: KEY, algorithm });
    expect(uri).toContain(`&algorithm=${algorithm}`);
    expect(parseOtpauthUri(uri).algorithm).toBe(algorithm);
    // The spellings other tools write.
    expect(parseOtpauthUri(uri.replace(algorithm, algorithm.toLowerCase().replace('sha', 'sha-'))).algorithm).toBe(algorithm);
  });
});

describe('registerAlgorithms', () => {
  it.each<[string, unknown[]]>([
    ['nothing like an algorithm', [{}]],
    ['a name we do not define', [{ name: 'MD5', createMac: () => ({}) }]],
    ['a built-in name', [{ name: 'SHA1', createMac: () => ({}) }]],
    ['null', [null]],
    ['a string', ['SHA3-256']],
    ['one bad among good ones', [SHA224, 'SHA384']],
  ])('refuses %s with a TypeError and registers nothing', (_name, args) => {
    expect(() => registerAlgorithms(...(args as never[]))).toThrow(/registerAlgorithms must be an algorithm from 'mfakit\/algorithms'/);
    expect(() => generateTotp(KEY, { algorithm: 'SHA224' })).toThrow(/not registered/);
  });

  it('the exports name their algorithms; extraAlgorithms holds all four', () => {
    expect([SHA224, SHA384, SHA3_256, SHA3_512].map((a) => a.name)).toEqual(NAMES);
    expect(extraAlgorithms).toEqual([SHA224, SHA384, SHA3_256, SHA3_512]);
    expect(Object.isFrozen(SHA224)).toBe(true);
  });
});

describe('after registerAlgorithms(...extraAlgorithms)', () => {
  it('registering is idempotent', () => {
    registerAlgorithms(...extraAlgorithms);
    registerAlgorithms(SHA3_256);
  });

  it('HOTP matches node:crypto on random keys (long ones hashed first), counters and lengths', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 6, max: 10 }),
        (algorithm, key, counter, digits) => {
          const expected = nodeHotp(algorithm, key, counter, digits);
          expect(generateHotp(key, counter, { algorithm, digits })).toBe(expected);
          expect(verifyHotp(key, expected, counter, { algorithm, digits })).toEqual({ ok: true, counter, delta: 0 });
          if (counter <= BigInt(Number.MAX_SAFE_INTEGER)) expect(generateHotp(key, Number(counter), { algorithm, digits })).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('TOTP and the prepared verifier agree with node:crypto, window and latest-step rule included', () => {
    for (const algorithm of NAMES) {
      const now = 1_700_000_000_000;
      const step = Math.floor(now / 30_000);
      const code = nodeHotp(algorithm, KEY, BigInt(step + 1), 8);
      expect(generateTotp(KEY, { algorithm, digits: 8, now: now + 30_000 })).toBe(code);
      expect(verifyTotp(KEY, code, { algorithm, digits: 8, now })).toEqual({ ok: true, step: step + 1, delta: 1 });
      const verifier = createTotpVerifier(KEY, { algorithm, digits: 8, window: 0 });
      expect(verifier.verify(code, { now })).toEqual({ ok: false, reason: 'mismatch' });
      expect(verifier.verify(code, { now: now + 30_000 })).toEqual({ ok: true, step: step + 1, delta: 0 });
      expect(verifier.verify(code, { now: now + 30_000, afterStep: step + 1 })).toEqual({ ok: false, reason: 'replayed' });
      verifier.destroy();
      expect(() => verifier.verify(code)).toThrow(/destroyed/);
    }
  });

  it('a parsed URI computes with its algorithm', () => {
    const p = parseOtpauthUri('otpauth://totp/ACME:jane?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA3-512&digits=8');
    expect(generateTotp(p.secret, { algorithm: p.algorithm, digits: p.digits, now: 59_000 })).toBe(nodeHotp('SHA3-512', KEY, 1n, 8));
  });
});
