import { assertInteger, assertOptions } from '../internal/assert.js';
import { createOtpMac } from '../internal/hmac.js';
import { resolveNow, resolveOtp, resolveTimeStep, resolveWindow, type OtpOptions, type TimeStepOptions } from '../internal/options.js';
import { formatCode, parseToken, POW10 } from '../internal/token.js';
import { matchWindow, REPLAYED } from '../internal/window.js';
import { secretBytes, type Secret } from './secret.js';

/** Options of {@link generateTotp}. */
export interface TotpOptions extends OtpOptions, TimeStepOptions {
  /** The time in milliseconds since the epoch. @default Date.now() */
  now?: number | undefined;
}

/** A window of steps around the current one: a number (both ways) or `{ past, future }`, each 0–10. */
export type TotpWindow = number | { past?: number | undefined; future?: number | undefined };

/** Options of {@link verifyTotp}. */
export interface VerifyTotpOptions extends TotpVerifierOptions, TotpCheckOptions {}

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
 * @param opts - `now`, `period`, `t0`, `algorithm`, `digits`
 * @returns the code, zero-padded to `digits`
 * @throws {RangeError} when `now` is before `t0`; {@link MfaError} `INVALID_SECRET`
 * @example
 * generateTotp(secret, { now: 59_000 }); // '287082' with the RFC 6238 SHA1 key
 */
export function generateTotp(secret: Secret, opts?: TotpOptions): string {
  const o = resolveOtp(opts);
  const step = timeStep(opts?.now, opts);
  if (step < 0) throw new RangeError('now is before t0');
  const key = secretBytes(secret);
  const mac = createOtpMac(o.algorithm, key);
  if (key !== secret) key.fill(0);
  const code = mac.truncate(step) % (POW10[o.digits] as number);
  mac.destroy();
  return formatCode(code, o.digits);
}

/** Options of {@link createTotpVerifier}: everything but the time and the replay guard, resolved once. */
export interface TotpVerifierOptions extends OtpOptions, TimeStepOptions {
  /**
   * Steps accepted before and after the current one, for clock drift and
   * typing time (RFC 6238 §5.2). Over 10 is a configuration error.
   * @default 1
   */
  window?: TotpWindow | undefined;
}

/** Per-code options of {@link TotpVerifier.verify}. */
export interface TotpCheckOptions {
  /** The time in milliseconds since the epoch. @default Date.now() */
  now?: number | undefined;
  /**
   * The last step already accepted for this user: a matching step ≤ it is
   * `replayed` (RFC 6238 §5.2, "verifier MUST NOT accept the second attempt").
   * @default undefined (no replay guard)
   */
  afterStep?: number | undefined;
}

/** A TOTP verifier for one secret, keyed once: see {@link createTotpVerifier}. */
export interface TotpVerifier {
  /**
   * Checks one code; the same as {@link verifyTotp} with the verifier's secret and options.
   * @param token - what the user typed (any value; never throws on it)
   * @param opts - `now` and `afterStep`
   * @returns `{ ok: true, step, delta }` or `{ ok: false, reason }`
   * @throws {TypeError|RangeError} on a bad `now` or `afterStep`, or after `destroy()`
   */
  verify(token: unknown, opts?: TotpCheckOptions): TotpVerifyResult;
  /** Zeroes the keyed HMAC state; `verify` throws afterwards. */
  destroy(): void;
}

/**
 * The prepared form of {@link verifyTotp}: decodes the secret, runs the HMAC
 * key schedule and resolves the options once, so each later `verify` costs
 * only the HMACs of the window. `verifyTotp` is this plus `destroy()` per call;
 * the stateful flows hold one per factor. Keep it no longer than the secret
 * itself would be kept, and call `destroy()` when done.
 *
 * @param secret - shared secret, bytes or base32 (bytes are not kept: the keyed state is)
 * @param opts - `window` (default 1), `period`, `t0`, `algorithm`, `digits`
 * @returns the verifier
 * @throws {TypeError|RangeError} on bad options; {@link MfaError} `INVALID_SECRET`
 * @example
 * const verifier = createTotpVerifier(secret, { window: 1 });
 * const r = verifier.verify(req.body.code, { afterStep: user.lastStep });
 * if (r.ok) user.lastStep = r.step;
 * verifier.destroy();
 */
export function createTotpVerifier(secret: Secret, opts?: TotpVerifierOptions): TotpVerifier {
  assertOptions(opts);
  const o = resolveOtp(opts);
  const { period, t0 } = resolveTimeStep(opts);
  const { past, future } = resolveWindow(opts?.window, 'window', 1);
  const digits = o.digits;
  const mod = POW10[digits] as number;
  const key = secretBytes(secret);
  const mac = createOtpMac(o.algorithm, key);
  // A base32 secret was decoded into our own copy; the keyed state is all we need from it.
  if (key !== secret) key.fill(0);
  let live = true;
  return {
    verify(token, check) {
      if (!live) throw new TypeError('this TOTP verifier was destroyed');
      assertOptions(check);
      const afterStep = check?.afterStep ?? -1;
      assertInteger(afterStep, 'afterStep', -1, Number.MAX_SAFE_INTEGER);
      // RFC 6238 §4.2: T = floor((Unix time - T0) / X).
      const current = Math.floor((Math.floor(resolveNow(check?.now) / 1000) - t0) / period);
      const value = parseToken(token, digits);
      if (value < 0) return { ok: false, reason: 'malformed' };
      const step = matchWindow(mac, value, mod, current, past, future, afterStep);
      if (step >= 0) return { ok: true, step, delta: step - current };
      return { ok: false, reason: step === REPLAYED ? 'replayed' : 'mismatch' };
    },
    destroy() {
      live = false;
      mac.destroy();
    },
  };
}

/**
 * Verifies a TOTP code in a window of steps around `opts.now`. Every step of
 * the window is computed and compared in constant time, with no early exit;
 * when two steps share the code, the latest is the one accepted.
 * The token is end-user input and never throws: a wrong shape is `malformed`.
 * To check many codes against one secret, {@link createTotpVerifier} keys once.
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
  const verifier = createTotpVerifier(secret, opts);
  try {
    return verifier.verify(token, opts);
  } finally {
    verifier.destroy();
  }
}
