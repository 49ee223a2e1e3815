// Cross-implementation tests: our HOTP/TOTP against a reference built on
// node:crypto's HMAC with the RFC 4226 §5.3 truncation written out, on random
// keys, counters and times (the habit of noble-hashes' "node.js cross-test").
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateHotp, generateTotp, timeStep, verifyHotp, verifyTotp, type Algorithm } from '../src/index.js';

/** RFC 4226 §5.3 with the counter as an 8-byte big-endian integer, computed with BigInt. */
function referenceHotp(algorithm: Algorithm, key: Uint8Array, counter: bigint | number, digits: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm.toLowerCase(), key).update(msg).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return (BigInt(binary) % 10n ** BigInt(digits)).toString().padStart(digits, '0');
}

/** RFC 6238 §4.2 T = floor((Unix time - T0) / X), in BigInt so no float rounding can hide. */
function referenceStep(nowMs: number, period: number, t0: number): bigint {
  const seconds = BigInt(Math.floor(nowMs / 1000)) - BigInt(t0);
  const q = seconds / BigInt(period);
  return seconds < 0n && q * BigInt(period) !== seconds ? q - 1n : q;
}

const algorithm = fc.constantFrom<Algorithm>('SHA1', 'SHA256', 'SHA512');
const digits = fc.integer({ min: 6, max: 10 });
// Keys longer than the hash block (64 bytes, 128 for SHA-512) are hashed first (RFC 2104 §2);
// the lengths listed sit on the block and padding boundaries of that inner hash.
const key = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 320 }),
  fc
    .constantFrom(20, 32, 63, 64, 65, 119, 120, 127, 128, 129, 183, 184, 239, 240, 255, 256, 257)
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);
// Counters spread over the whole exact range, with the 32-bit boundary and the top made likely.
const counter = fc.oneof(
  fc.maxSafeNat(),
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: 2 ** 32 - 3, max: 2 ** 32 + 3 }),
  fc.integer({ min: Number.MAX_SAFE_INTEGER - 3, max: Number.MAX_SAFE_INTEGER }),
);

describe('HOTP against node:crypto', () => {
  it('generateHotp equals the reference for random keys, counters, algorithms and lengths', () => {
    fc.assert(
      fc.property(algorithm, key, counter, digits, (alg, k, c, d) => {
        expect(generateHotp(k, c, { algorithm: alg, digits: d })).toBe(referenceHotp(alg, k, c, d));
      }),
      { numRuns: 500 },
    );
  });

  it('verifyHotp accepts the reference code at its counter', () => {
    fc.assert(
      fc.property(algorithm, key, counter, digits, (alg, k, c, d) => {
        const r = verifyHotp(k, referenceHotp(alg, k, c, d), c, { algorithm: alg, digits: d });
        expect(r).toEqual({ ok: true, counter: c, delta: 0 });
      }),
    );
  });

  it('short legacy keys (1–15 bytes) match too, with no option', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 15 }), counter, (k, c) => {
        expect(generateHotp(k, c)).toBe(referenceHotp('SHA1', k, c, 6));
      }),
    );
  });

  it.each([
    ['2^32 - 1', 2 ** 32 - 1],
    ['2^32', 2 ** 32],
    ['2^32 + 1', 2 ** 32 + 1],
    ['2^52', 2 ** 52],
    ['2^53 - 2', Number.MAX_SAFE_INTEGER - 1],
    ['2^53 - 1', Number.MAX_SAFE_INTEGER],
  ])('counter %s is exact (8-byte big-endian, no 32-bit wrap)', (_name, c) => {
    const k = new TextEncoder().encode('12345678901234567890');
    for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
      expect(generateHotp(k, c, { algorithm: alg, digits: 8 })).toBe(referenceHotp(alg, k, BigInt(c), 8));
    }
  });
});

describe('TOTP against node:crypto', () => {
  // Up to Date's limit, 8.64e15 ms (year 275760): far past 2038 and 2106.
  const nowMs = fc.oneof(
    fc.integer({ min: 0, max: 8.64e15 }),
    fc.integer({ min: 2 ** 31 * 1000 - 100_000, max: 2 ** 31 * 1000 + 100_000 }),
    fc.integer({ min: 2 ** 32 * 1000 - 100_000, max: 2 ** 32 * 1000 + 100_000 }),
  );
  const period = fc.oneof(fc.constant(30), fc.integer({ min: 1, max: 600 }));

  it('generateTotp equals HOTP of the RFC 6238 step, t0 and period included', () => {
    fc.assert(
      fc.property(algorithm, key, nowMs, period, fc.integer({ min: 0, max: 2_000_000_000 }), digits, (alg, k, now, p, t0seed, d) => {
        const t0 = Math.min(t0seed, Math.floor(now / 1000));
        const step = referenceStep(now, p, t0);
        expect(timeStep(now, { period: p, t0 })).toBe(Number(step));
        expect(generateTotp(k, { now, period: p, t0, algorithm: alg, digits: d })).toBe(referenceHotp(alg, k, step, d));
      }),
      { numRuns: 500 },
    );
  });

  it('verifyTotp accepts the reference code at window 0', () => {
    fc.assert(
      fc.property(algorithm, key, nowMs, digits, (alg, k, now, d) => {
        const step = referenceStep(now, 30, 0);
        const r = verifyTotp(k, referenceHotp(alg, k, step, d), { now, window: 0, algorithm: alg, digits: d });
        expect(r).toEqual({ ok: true, step: Number(step), delta: 0 });
      }),
    );
  });

  it('times past 2038 and 2106 (32-bit seconds overflow) are exact', () => {
    const k = new TextEncoder().encode('12345678901234567890');
    for (const seconds of [2 ** 31 - 1, 2 ** 31, 2 ** 32, 20_000_000_000, 253_402_300_799]) {
      const step = BigInt(Math.floor(seconds / 30));
      expect(generateTotp(k, { now: seconds * 1000, digits: 8 })).toBe(referenceHotp('SHA1', k, step, 8));
    }
  });
});
