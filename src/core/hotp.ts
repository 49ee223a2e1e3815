import { assertInteger, assertOptions } from '../internal/assert.js';
import { createOtpMac, type OtpMac } from '../internal/hmac.js';
import { assertCounter, MAX_COUNTER, resolveOtp, type OtpOptions } from '../internal/options.js';
import { codeDiff, formatCode, parseToken, POW10 } from '../internal/token.js';
import { secretBytes, type Secret } from './secret.js';

/** Options of {@link verifyHotp}. */
export interface VerifyHotpOptions extends OtpOptions {
  /**
   * How many counters after `counter` are also accepted, for tokens whose
   * button was pressed without a login (RFC 4226 §7.4 look-ahead), 0–100.
   * @default 0
   */
  lookAhead?: number | undefined;
}

/**
 * Result of {@link verifyHotp}. `counter` is the matched counter, of the same
 * type as the counter passed in; store `counter + 1` as the next one.
 */
export type HotpVerifyResult<C extends number | bigint = number> =
  | { ok: true; counter: C; delta: number }
  | { ok: false; reason: 'mismatch' | 'malformed' };

const MAX_LOOK_AHEAD = 100;

/**
 * Generates an RFC 4226 HOTP code.
 *
 * @param secret - shared secret, bytes or base32 (any non-empty length)
 * @param counter - moving factor: an integer number 0 to 2^53−1, or a `bigint` 0 to 2^64−1 (RFC 4226 §5.1, 8 bytes)
 * @param opts - `algorithm`, `digits`
 * @returns the code, zero-padded to `digits`
 * @throws {TypeError|RangeError} on a bad counter or option; {@link MfaError} `INVALID_SECRET`
 * @example
 * generateHotp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 0); // '755224' (RFC 4226 Appendix D)
 * generateHotp(secret, 2n ** 64n - 1n); // the last counter there is
 */
export function generateHotp(secret: Secret, counter: number | bigint, opts?: OtpOptions): string {
  const o = resolveOtp(opts);
  assertCounter(counter);
  const key = secretBytes(secret);
  const mac = createOtpMac(o.algorithm, key);
  if (key !== secret) key.fill(0);
  const code = snum(mac, counter) % (POW10[o.digits] as number);
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
 * @param counter - the next expected counter: a number up to 2^53−1 or a `bigint` up to 2^64−1
 * @param opts - `lookAhead` (0–100, default 0), `algorithm`, `digits`
 * @returns `{ ok: true, counter, delta }` (counter of the type passed in) or `{ ok: false, reason }`
 * @throws {TypeError|RangeError} on a bad counter or option (caller mistakes only)
 * @example
 * const r = verifyHotp(secret, '287082', 1);
 * if (r.ok) saveCounter(r.counter + 1);
 */
export function verifyHotp<C extends number | bigint>(secret: Secret, token: string, counter: C, opts?: VerifyHotpOptions): HotpVerifyResult<C> {
  assertOptions(opts);
  const o = resolveOtp(opts);
  assertCounter(counter);
  const lookAhead = opts?.lookAhead ?? 0;
  assertInteger(lookAhead, 'lookAhead', 0, MAX_LOOK_AHEAD);
  const key = secretBytes(secret);
  const value = parseToken(token, o.digits);
  if (value < 0) {
    if (key !== secret) key.fill(0);
    return { ok: false, reason: 'malformed' };
  }
  const mac = createOtpMac(o.algorithm, key);
  // A base32 secret was decoded into our own copy; the keyed state is all we need from it.
  if (key !== secret) key.fill(0);
  const mod = POW10[o.digits] as number;
  // The last counter is capped where the counter type ends (2^53−1 for numbers, 2^64−1 for bigints).
  const room = typeof counter === 'bigint' ? MAX_COUNTER - counter : BigInt(Number.MAX_SAFE_INTEGER - counter);
  const last = Number(room < BigInt(lookAhead) ? room : BigInt(lookAhead));
  let found = -1;
  for (let d = 0; d <= last; d++) {
    const c = typeof counter === 'bigint' ? counter + BigInt(d) : (counter as number) + d;
    const hit = codeDiff(snum(mac, c) % mod, value) === 0;
    if (hit && found < 0) found = d;
  }
  mac.destroy();
  if (found < 0) return { ok: false, reason: 'mismatch' };
  const matched = (typeof counter === 'bigint' ? counter + BigInt(found) : (counter as number) + found) as C;
  return { ok: true, counter: matched, delta: found };
}

/** RFC 4226 §5.3 `Snum` for a number or bigint counter. */
function snum(mac: OtpMac, counter: number | bigint): number {
  if (typeof counter === 'number') return mac.truncate(counter);
  return mac.truncateWords(Number(counter >> 32n) | 0, Number(counter & 0xffffffffn) | 0);
}
