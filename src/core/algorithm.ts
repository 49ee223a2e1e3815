import { describe } from '../internal/assert.js';
import { registerMac, type OtpAlgorithm } from '../internal/hmac.js';
import { ALGORITHMS } from '../internal/options.js';

/**
 * Makes extra HMAC hashes (`SHA224`, `SHA384`, `SHA3-256`, `SHA3-512`)
 * available by name to every function that takes an `algorithm`: HOTP, TOTP,
 * the prepared verifier and the flows. The hashes themselves come from the
 * `mfakit/algorithms` subpath (through @noble/hashes), so an app that never
 * calls this never bundles them. Registering the same algorithm twice is harmless.
 *
 * `parseOtpauthUri` and `buildOtpauthUri` read and write these names without
 * registration; computing a code with one that is not registered throws a
 * `TypeError` that names the import to add.
 *
 * @param algorithms - algorithm objects from `mfakit/algorithms` (e.g. `SHA3_256`, or `...extraAlgorithms`)
 * @returns nothing; the registration lasts for the life of this copy of mfakit
 * @throws {TypeError} when an argument is not an algorithm from `mfakit/algorithms`
 * @example
 * import { registerAlgorithms, verifyTotp } from 'mfakit';
 * import { SHA3_256 } from 'mfakit/algorithms';
 * registerAlgorithms(SHA3_256);
 * verifyTotp(secret, code, { algorithm: 'SHA3-256' });
 */
export function registerAlgorithms(...algorithms: OtpAlgorithm[]): void {
  for (const [i, a] of algorithms.entries()) {
    const name = (a as { name?: unknown } | null)?.name;
    if (
      typeof a !== 'object' ||
      a === null ||
      typeof a.createMac !== 'function' ||
      !ALGORITHMS.slice(3).includes(name as OtpAlgorithm['name'])
    ) {
      throw new TypeError(`argument ${i + 1} of registerAlgorithms must be an algorithm from 'mfakit/algorithms', got ${describe(a)}`);
    }
  }
  for (const a of algorithms) registerMac(a);
}
