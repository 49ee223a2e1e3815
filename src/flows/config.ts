import { utf8ToBytes } from '@noble/hashes/utils.js';
import { MfaError } from '../errors.js';
import { describe } from '../internal/assert.js';
import type { Algorithm } from '../internal/hmac.js';
import { resolveOtp, resolveTimeStep, resolveWindow } from '../internal/options.js';
import type { RandomSource } from '../internal/random.js';
import type { ThrottleSchedule } from '../store/types.js';
import type { CreateMfaOptions, MfaEvent, PasskeyRelyingParty, RequiredRule } from '../types.js';
import { createEmitter, type Emit } from './events.js';
import { createVault, type SecretVault } from './secrets.js';
import { wrapStore, type FlowStore } from './store.js';

/**
 * The default lock after the n-th consecutive failure (docs/security.md):
 * four free failures, 30 s after the fifth, then growing to a day (1 min,
 * 2 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 16 h, 24 h). With a victim
 * who signs in daily (which clears the count), an attacker who guesses as fast
 * as allowed gets at most 14 checked guesses a day. In ms, written out so a
 * bundle that never reaches the flows can drop it.
 */
export const DEFAULT_LOCKS: readonly number[] = /* @__PURE__ */ Object.freeze([
  0, 0, 0, 0, 0, 30_000, 60_000, 120_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 57_600_000, 86_400_000,
]);

/** TOTP parameters resolved once: what a factor is enrolled with and checked against. */
export interface TotpParams {
  algorithm: Algorithm;
  digits: number;
  period: number;
}

/** Everything {@link createMfa} resolved from its options, checked once. */
export interface ResolvedConfig {
  store: FlowStore;
  issuer: string;
  vault: SecretVault;
  /** Prepared verifiers kept in memory (0: none). */
  secretCacheSize: number;
  /** Keys the digests of recovery codes, e-mail codes and tokens; `undefined` for plain SHA-256. */
  pepper: Uint8Array | undefined;
  required: NonNullable<NonNullable<CreateMfaOptions['policy']>['required']>;
  schedule: ThrottleSchedule;
  warnAfter: number;
  totp: TotpParams;
  window: { past: number; future: number };
  enrollmentTtlMs: number;
  maxFactors: number;
  recoveryCodeCount: number;
  /** Recovery-code sets are also kept sealed, for `viewRecoveryCodes`. */
  viewableRecoveryCodes: boolean;
  /** Codes an enrolment is confirmed with. */
  confirmCodes: 1 | 2;
  /** Who re-verifies a user before a change: a code through the flows, or the host. */
  reverify: 'code' | 'host';
  /** The WebAuthn relying party for passkeys, or `null` when they are not configured. */
  passkeys: PasskeyRelyingParty | null;
  random: RandomSource | undefined;
  /** The injected clock, as a safe integer of ms. */
  clock: () => number;
  emit: Emit;
}

const invalid = (message: string, cause?: unknown): MfaError => new MfaError('INVALID_CONFIG', message, cause === undefined ? undefined : { cause });

/**
 * Checks and resolves the options of `createMfa`. Any option that is present
 * must be valid: `pepper: process.env.UNSET` (present but `undefined`) is a
 * mistake, not "no pepper".
 *
 * @throws {MfaError} `INVALID_CONFIG`, naming the option
 */
export function resolveConfig(opts: CreateMfaOptions): ResolvedConfig {
  if (typeof opts !== 'object' || opts === null) throw invalid(`createMfa expects an options object, got ${describe(opts)}`);
  for (const key of Object.keys(opts) as (keyof CreateMfaOptions)[]) {
    if (opts[key] === undefined) throw invalid(`${key} is present but undefined (an unset environment variable?); remove it or give it a value`);
  }
  if (typeof opts.store !== 'object' || opts.store === null) throw invalid('store is required (createMemoryStore(), createPostgresStore(…), createRedisStore(…))');
  const store = wrapStore(opts.store);
  if (typeof opts.issuer !== 'string' || opts.issuer.trim() === '' || opts.issuer.includes(':')) {
    throw invalid('issuer must be a non-empty string without a colon');
  }
  if (opts.allowPlaintextSecrets !== undefined && typeof opts.allowPlaintextSecrets !== 'boolean') {
    throw invalid('allowPlaintextSecrets must be a boolean');
  }
  const secretCacheSize = integer(opts.secretCacheSize, 'secretCacheSize', 1000, 0, 1_000_000);
  const vault = createVault(opts.secretKeys, opts.allowPlaintextSecrets === true);

  const pepper = opts.pepper;
  if (pepper !== undefined && !((typeof pepper === 'string' || pepper instanceof Uint8Array) && pepper.length > 0)) {
    throw invalid('pepper must be a non-empty string or Uint8Array');
  }

  const policy = opts.policy ?? {};
  if (typeof policy !== 'object' || policy === null) throw invalid(`policy must be an object, got ${describe(policy)}`);
  const required = policy.required ?? false;
  if (!(typeof required === 'boolean' || typeof required === 'function' || (typeof required === 'object' && required !== null && Number.isFinite(required.graceEndsAt)))) {
    throw invalid('policy.required must be a boolean, { graceEndsAt: number } or a function of the user id');
  }
  const { schedule, warnAfter } = resolveThrottle(policy.throttle);
  const reverify = policy.reverify ?? 'code';
  if (reverify !== 'code' && reverify !== 'host') throw invalid(`policy.reverify must be 'code' or 'host', got ${describe(reverify)}`);
  const recovery = options(opts.recoveryCodes, 'recoveryCodes', ['count', 'viewable']) as NonNullable<CreateMfaOptions['recoveryCodes']>;
  if (recovery.viewable !== undefined && typeof recovery.viewable !== 'boolean') throw invalid('recoveryCodes.viewable must be a boolean');
  const confirm = options(opts.confirm, 'confirm', ['codes']) as NonNullable<CreateMfaOptions['confirm']>;
  const confirmCodes = confirm.codes ?? 1;
  if (confirmCodes !== 1 && confirmCodes !== 2) throw invalid(`confirm.codes must be 1 or 2, got ${describe(confirmCodes)}`);

  const t = opts.totp ?? {};
  if (typeof t !== 'object' || t === null) throw invalid(`totp must be an object, got ${describe(t)}`);
  let totp: TotpParams;
  let window: { past: number; future: number };
  try {
    const otp = resolveOtp({ algorithm: t.algorithm ?? 'SHA1', digits: t.digits ?? 6 });
    totp = { algorithm: otp.algorithm, digits: otp.digits, period: resolveTimeStep({ period: t.period ?? 30 }).period };
    window = resolveWindow(t.window, 'totp.window', 1);
  } catch (cause) {
    throw invalid(`totp: ${(cause as Error).message}`, cause);
  }

  for (const key of ['now', 'random', 'onEvent'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'function') throw invalid(`${key} must be a function`);
  }
  return {
    store,
    issuer: opts.issuer,
    vault,
    secretCacheSize,
    pepper: typeof pepper === 'string' ? utf8ToBytes(pepper) : pepper?.slice(),
    required,
    schedule,
    warnAfter,
    totp,
    window,
    enrollmentTtlMs: integer(opts.enrollmentTtlMs, 'enrollmentTtlMs', 900_000, 60_000, 86_400_000),
    maxFactors: integer(opts.maxFactors, 'maxFactors', 8, 1, 8),
    recoveryCodeCount: integer(recovery.count, 'recoveryCodes.count', 10, 1, 100),
    viewableRecoveryCodes: recovery.viewable === true,
    confirmCodes,
    reverify,
    passkeys: resolvePasskeys(opts.passkeys),
    random: opts.random,
    clock: safeClock(opts.now ?? Date.now),
    emit: createEmitter(opts.onEvent as ((event: MfaEvent) => void | Promise<void>) | undefined),
  };
}

function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) throw invalid(`${name} must be an integer between ${min} and ${max}, got ${describe(n)}`);
  return n;
}

function resolvePasskeys(rp: unknown): PasskeyRelyingParty | null {
  if (rp === undefined) return null;
  const methods = ['registrationOptions', 'verifyRegistration', 'authenticationOptions', 'verifyAuthentication'] as const;
  const r = rp as Partial<PasskeyRelyingParty>;
  if (typeof rp !== 'object' || rp === null || typeof r.rpId !== 'string' || !methods.every((m) => typeof r[m] === 'function')) {
    throw invalid("passkeys must be a relying party: webauthn({ rpId, rpName, origins }) from 'mfakit/webauthn'");
  }
  return rp as PasskeyRelyingParty;
}

/** An options object (absent: empty) with only `known` keys, each present one defined. */
function options(value: unknown, name: string, known: readonly string[]): Record<string, unknown> {
  const o = value ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid(`${name} must be an object { ${known.map((k) => `${k}?`).join(', ')} }, got ${describe(o)}`);
  for (const [key, v] of Object.entries(o)) {
    if (!known.includes(key)) throw invalid(`${name}.${key} is not an option (${known.join(', ')})`);
    if (v === undefined) throw invalid(`${name}.${key} is present but undefined; remove it or give it a value`);
  }
  return o as Record<string, unknown>;
}

function resolveThrottle(throttle: unknown): { schedule: ThrottleSchedule; warnAfter: number } {
  const o = options(throttle, 'policy.throttle', ['locks', 'suspendAfter', 'warnAfter']);
  const locks = o.locks ?? DEFAULT_LOCKS;
  if (!Array.isArray(locks) || locks.length === 0 || locks.length > 1000 || locks[0] !== 0 || !locks.every((ms) => Number.isSafeInteger(ms) && ms >= 0)) {
    throw invalid('policy.throttle.locks must be an array of 1–1000 lock durations in ms, starting with 0');
  }
  // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account.
  const suspendAfter = integer(o.suspendAfter, 'policy.throttle.suspendAfter', 100, 1, 100);
  const warnAfter = integer(o.warnAfter, 'policy.throttle.warnAfter', 10, 1, 100);
  return { schedule: Object.freeze({ locks: Object.freeze([...locks] as number[]), suspendAfter }), warnAfter };
}

/** The host's clock as a safe integer: fractions are rounded down; anything else is refused. */
function safeClock(now: () => number): () => number {
  return () => {
    const value = now();
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      throw new TypeError(`the now() option must return ms since the epoch, a finite number from 0 to 2^53 - 1, got ${describe(value)}`);
    }
    return Math.floor(value);
  };
}

/** The policy rule for one user, resolved (a function may be async). */
export async function requiredFor(cfg: ResolvedConfig, userId: string, now: number): Promise<{ required: boolean; graceEndsAt?: number; inGrace: boolean }> {
  const rule: unknown = typeof cfg.required === 'function' ? await cfg.required(userId) : cfg.required;
  if (rule === true) return { required: true, inGrace: false };
  if (rule === false) return { required: false, inGrace: false };
  if (typeof rule === 'object' && rule !== null && Number.isFinite((rule as { graceEndsAt?: unknown }).graceEndsAt)) {
    const { graceEndsAt } = rule as Exclude<RequiredRule, boolean>;
    return { required: true, graceEndsAt, inGrace: now < graceEndsAt };
  }
  throw invalid(`policy.required returned ${describe(rule)}; expected a boolean or { graceEndsAt: number }`);
}
