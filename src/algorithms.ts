/**
 * `mfakit/algorithms`: HMAC hashes beyond the built-in SHA1, SHA256 and
 * SHA512 kernels, computed through @noble/hashes. They stay out of the
 * `verifyTotp` bundle; pass them to `registerAlgorithms` from `mfakit` once,
 * then use their names as the `algorithm` option anywhere.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha224, sha384 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_512 } from '@noble/hashes/sha3.js';
import type { CHash } from '@noble/hashes/utils.js';
import { dynamicTruncate, type ExtraAlgorithm, type OtpAlgorithm, type OtpMac } from './internal/hmac.js';

export type { ExtraAlgorithm, OtpAlgorithm } from './internal/hmac.js';

function define(name: ExtraAlgorithm, hash: CHash): OtpAlgorithm {
  return Object.freeze({
    name,
    createMac(key: Uint8Array): OtpMac {
      // Keyed once (RFC 2104 §2 inner and outer states); each counter works on a clone.
      const keyed = hmac.create(hash, key);
      const counter = new Uint8Array(8);
      const view = new DataView(counter.buffer);
      const truncateWords = (high: number, low: number): number => {
        view.setInt32(0, high);
        view.setInt32(4, low);
        const mac = keyed.clone().update(counter);
        const digest = mac.digest();
        const snum = dynamicTruncate(digest);
        digest.fill(0);
        mac.destroy();
        return snum;
      };
      return {
        truncate: (c) => truncateWords(Math.floor(c / 0x100000000), c | 0),
        truncateWords,
        destroy() {
          keyed.destroy();
          counter.fill(0);
        },
      };
    },
  });
}

/**
 * HMAC-SHA-224 (FIPS 180-4).
 * @example
 * registerAlgorithms(SHA224); generateTotp(secret, { algorithm: 'SHA224' });
 */
export const SHA224: OtpAlgorithm = /* @__PURE__ */ define('SHA224', sha224);
/**
 * HMAC-SHA-384 (FIPS 180-4).
 * @example
 * registerAlgorithms(SHA384); generateTotp(secret, { algorithm: 'SHA384' });
 */
export const SHA384: OtpAlgorithm = /* @__PURE__ */ define('SHA384', sha384);
/**
 * HMAC-SHA3-256 (FIPS 202).
 * @example
 * registerAlgorithms(SHA3_256); generateTotp(secret, { algorithm: 'SHA3-256' });
 */
export const SHA3_256: OtpAlgorithm = /* @__PURE__ */ define('SHA3-256', sha3_256);
/**
 * HMAC-SHA3-512 (FIPS 202).
 * @example
 * registerAlgorithms(SHA3_512); generateTotp(secret, { algorithm: 'SHA3-512' });
 */
export const SHA3_512: OtpAlgorithm = /* @__PURE__ */ define('SHA3-512', sha3_512);

/**
 * All four extra algorithms, for `registerAlgorithms(...extraAlgorithms)`.
 * @example
 * import { registerAlgorithms } from 'mfakit';
 * import { extraAlgorithms } from 'mfakit/algorithms';
 * registerAlgorithms(...extraAlgorithms);
 */
export const extraAlgorithms: readonly OtpAlgorithm[] = /* @__PURE__ */ Object.freeze([SHA224, SHA384, SHA3_256, SHA3_512]);
