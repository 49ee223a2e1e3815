import { assertInteger, assertOptions } from '../internal/assert.js';
import { createOtpMac } from '../internal/hmac.js';
import { resolveOtp, type OtpOptions } from '../internal/options.js';
import { codeDiff, formatCode, parseToken, POW10 } from '../internal/token.js';
import { secretBytes, type Secret } from './secret.js';

/** Options of {@link verifyHotp}. */
export interface VerifyHotpOptions extends OtpOptions {
  /**
   * How many counters after `counter` are also accepted, for tokens whose
   * button was pressed without a login (RFC 4226 §7.4 look-ahead), 0–100.
   * @default 0
   */
  lookAhead?: number;
}

/** Result of {@link verifyHotp}. `counter` is the matched counter; store `counter + 1` as the next one. */
export type HotpVerifyResult =
  | { ok: true; counter: number; delta: number }
  | { ok: false; reason: 'mismatch' | 'malformed' };

const MAX_LOOK_AHEAD = 100;

/**
 * Generates an RFC 4226 HOTP code.
 *
 * @param secret - shared secret, bytes or base32
 * @param counter - moving factor, an integer 0 to 2^53−1 (exact, no 32-bit wrap)
 * @param opts - `algorithm`, `digits`, `allowShortSecret`
 * @returns the code, zero-padded to `digits`
 * @throws {TypeError|RangeError} on a bad counter or option; {@link MfaError} `INVALID_SECRET`
 * @example
 * generateHotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 0); // '755224' (RFC 4226 Appendix D)
 */
export function generateHotp(secret: Secret, counter: number, opts?: OtpOptions): string {
  const o = resolveOtp(opts);
  assertInteger(counter, 'counter', 0, Number.MAX_SAFE_INTEGER);
  const key = secretBytes(secret, o.allowShortSecret);
  const mac = createOtpMac(o.algorithm, key);
  if (key !== secret) key.fill(0);
  const code = mac.truncate(counter) % (POW10[o.digits] as number);
  mac.destroy();
  return formatCode(code, o.digits);
}

/**
 * Verifies an HOTP code against `counter` and up to `lookAhead` counters after it.
 * Every candidate is computed and compared in constant time; a match does not end the loop.
 * The token is end-user input and never throws: a wrong shape is `malformed`.
 *
 * @param secret - shared secret, bytes or base32
 * @param token - what the user typed; spaces are ignored
 * @param counter - the next expected counter
 * @param opts - `lookAhead` (0–100, default 0), `algorithm`, `digits`, `allowShortSecret`
 * @returns `{ ok: true, counter, delta }` or `{ ok: false, reason }`
 * @throws {TypeError|RangeError} on a bad counter or option (caller mistakes only)
 * @example
 * const r = verifyHotp(secret, '287082', 1);
 * if (r.ok) saveCounter(r.counter + 1);
 */
export function verifyHotp(secret: Secret, token: string, counter: number, opts?: VerifyHotpOptions): HotpVerifyResult {
  assertOptions(opts);
  const o = resolveOtp(opts);
  assertInteger(counter, 'counter', 0, Number.MAX_SAFE_INTEGER);
  const lookAhead = opts?.lookAhead ?? 0;
  assertInteger(lookAhead, 'lookAhead', 0, MAX_LOOK_AHEAD);
  const key = secretBytes(secret, o.allowShortSecret);
  const value = parseToken(token, o.digits);
  if (value < 0) {
    if (key !== secret) key.fill(0);
    return { ok: false, reason: 'malformed' };
  }
  const mac = createOtpMac(o.algorithm, key);
  // A base32 secret was decoded into our own copy; the keyed state is all we need from it.
  if (key !== secret) key.fill(0);
  const mod = POW10[o.digits] as number;
  const last = Math.min(counter + lookAhead, Number.MAX_SAFE_INTEGER);
  let found = -1;
  for (let c = counter; c <= last; c++) {
    const hit = codeDiff(mac.truncate(c) % mod, value) === 0;
    if (hit && found < 0) found = c;
  }
  mac.destroy();
  return found < 0 ? { ok: false, reason: 'mismatch' } : { ok: true, counter: found, delta: found - counter };
}
