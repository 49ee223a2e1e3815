import { assertInteger, assertOptions } from '../internal/assert.js';
import { createOtpMac } from '../internal/hmac.js';
import { resolveNow, resolveOtp, resolveTimeStep, resolveWindow, type OtpOptions, type TimeStepOptions } from '../internal/options.js';
import { formatCode, parseToken, POW10 } from '../internal/token.js';
import { matchWindow, REPLAYED } from '../internal/window.js';
import { secretBytes, type Secret } from './secret.js';

/** Options of {@link generateTotp}. */
export interface TotpOptions extends OtpOptions, TimeStepOptions {
  /** The time in milliseconds since the epoch. @default Date.now() */
  now?: number;
}

/** A window of steps around the current one: a number (both ways) or `{ past, future }`, each 0–10. */
export type TotpWindow = number | { past?: number; future?: number };

/** Options of {@link verifyTotp}. */
export interface VerifyTotpOptions extends TotpOptions {
  /**
   * Steps accepted before and after the current one, for clock drift and
   * typing time (RFC 6238 §5.2). With the default 1 and a 30 s period a code
   * is accepted from 30 s before its step begins to 30 s after it ends.
   * Over 10 is a configuration error.
   * @default 1
   */
  window?: TotpWindow;
  /**
   * The last step already accepted for this user: a matching step ≤ it is
   * `replayed` (RFC 6238 §5.2, "verifier MUST NOT accept the second attempt").
   * @default undefined (no replay guard)
   */
  afterStep?: number;
}

/** Result of {@link verifyTotp}: the matched `step` and its `delta` from the current step. */
export type TotpVerifyResult =
  | { ok: true; step: number; delta: number }
  | { ok: false; reason: 'mismatch' | 'malformed' | 'replayed' };

/**
 * The RFC 6238 §4.2 time step: `floor((unixSeconds - t0) / period)`.
 *
 * @param now - milliseconds since the epoch @default Date.now()
 * @param opts - `period` (default 30) and `t0` (default 0), in seconds
 * @returns the step, exact past 2038 (no 32-bit arithmetic)
 * @throws {TypeError|RangeError} on a non-finite `now` or a bad option
 * @example
 * timeStep(59_000); // 1
 */
export function timeStep(now?: number, opts?: TimeStepOptions): number {
  const { period, t0 } = resolveTimeStep(opts);
  return Math.floor((Math.floor(resolveNow(now) / 1000) - t0) / period);
}

/**
 * Generates an RFC 6238 TOTP code for `opts.now`.
 *
 * @param secret - shared secret, bytes or base32
 * @param opts - `now`, `period`, `t0`, `algorithm`, `digits`, `allowShortSecret`
 * @returns the code, zero-padded to `digits`
 * @throws {RangeError} when `now` is before `t0`; {@link MfaError} `INVALID_SECRET`
 * @example
 * generateTotp(secret, { now: 59_000 }); // '287082' with the RFC 6238 SHA1 key
 */
export function generateTotp(secret: Secret, opts?: TotpOptions): string {
  const o = resolveOtp(opts);
  const step = timeStep(opts?.now, opts);
  if (step < 0) throw new RangeError('now is before t0');
  const key = secretBytes(secret, o.allowShortSecret);
  const mac = createOtpMac(o.algorithm, key);
  if (key !== secret) key.fill(0);
  const code = mac.truncate(step) % (POW10[o.digits] as number);
  mac.destroy();
  return formatCode(code, o.digits);
}

/**
 * Verifies a TOTP code in a window of steps around `opts.now`. Every step of
 * the window is computed and compared in constant time, with no early exit.
 * The token is end-user input and never throws: a wrong shape is `malformed`.
 *
 * @param secret - shared secret, bytes or base32
 * @param token - what the user typed; spaces are ignored
 * @param opts - `window` (default 1), `afterStep`, `now`, `period`, `t0`, `algorithm`, `digits`
 * @returns `{ ok: true, step, delta }` or `{ ok: false, reason }`
 * @throws {TypeError|RangeError} on bad options (caller mistakes only); {@link MfaError} `INVALID_SECRET`
 * @example
 * const r = verifyTotp(secret, '287 082', { afterStep: user.lastStep });
 * if (r.ok) user.lastStep = r.step;
 */
export function verifyTotp(secret: Secret, token: string, opts?: VerifyTotpOptions): TotpVerifyResult {
  assertOptions(opts);
  const o = resolveOtp(opts);
  const current = timeStep(opts?.now, opts);
  const { past, future } = resolveWindow(opts?.window, 'window', 1);
  const afterStep = opts?.afterStep ?? -1;
  assertInteger(afterStep, 'afterStep', -1, Number.MAX_SAFE_INTEGER);
  const key = secretBytes(secret, o.allowShortSecret);
  const value = parseToken(token, o.digits);
  if (value < 0) {
    if (key !== secret) key.fill(0);
    return { ok: false, reason: 'malformed' };
  }
  const mac = createOtpMac(o.algorithm, key);
  // A base32 secret was decoded into our own copy; the keyed state is all we need from it.
  if (key !== secret) key.fill(0);

  const step = matchWindow(mac, value, POW10[o.digits] as number, current, past, future, afterStep);
  mac.destroy();
  if (step >= 0) return { ok: true, step, delta: step - current };
  return { ok: false, reason: step === REPLAYED ? 'replayed' : 'mismatch' };
}
