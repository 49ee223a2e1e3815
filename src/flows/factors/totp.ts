// Authenticator-app factors (RFC 6238 TOTP): sign-in and enrolment confirmation
// as attempt kinds, over prepared verifiers kept per factor.
import { createTotpVerifier, type TotpVerifier } from '../../core/totp.js';
import { MfaError } from '../../errors.js';
import { resolveOtp, resolveTimeStep } from '../../internal/options.js';
import { countDigits } from '../../internal/token.js';
import type { Accepted, Activated, AttemptStart, FactorRecord, RecoverySet } from '../../store/types.js';
import { MALFORMED, MISMATCH, REPLAYED, reserveFactors, type AttemptKind, type Failed } from '../attempt.js';
import { activateMatch, type ConfirmMatch } from './activation.js';
import type { ResolvedConfig, TotpParams } from '../config.js';

export const TOTP = 'totp';

/** A code that matched: the factor and the step to claim. */
export interface TotpMatch {
  factorId: string;
  step: number;
}

/** The most steps a two-code confirmation may find the authenticator's clock off by (RFC 6238 §6). */
export const MAX_OFFSET = 2;

/**
 * What a factor's `meta` holds: the parameters it was enrolled with, whether
 * its secret is under 16 bytes (imported), and the clock offset in steps a
 * two-code confirmation measured (absent: 0).
 */
export const totpMeta = (p: TotpParams, weakSecret = false): string =>
  JSON.stringify(weakSecret ? { algorithm: p.algorithm, digits: p.digits, period: p.period, weakSecret } : { algorithm: p.algorithm, digits: p.digits, period: p.period });

/** `meta` with the measured clock offset set (0 leaves it out). */
function withOffset(meta: string, offset: number): string {
  const { offset: _old, ...rest } = JSON.parse(meta) as { offset?: number };
  return JSON.stringify(offset === 0 ? rest : { ...rest, offset });
}

/** One field of a factor's `meta`; `undefined` when absent or unreadable. */
function metaField(factor: FactorRecord, name: 'weakSecret' | 'offset'): unknown {
  try {
    return (JSON.parse(factor.meta) as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/** Whether a factor was imported with a secret under 16 bytes (RFC 4226 §4 R6). */
export const isWeak = (factor: FactorRecord): boolean => metaField(factor, 'weakSecret') === true;

/** The factor's clock offset in steps, the centre of its window: 0 unless a two-code confirmation measured one. */
function offsetOf(factor: FactorRecord): number {
  const offset = metaField(factor, 'offset');
  return Number.isInteger(offset) && Math.abs(offset as number) <= MAX_OFFSET ? (offset as number) : 0;
}

/**
 * Prepared verifiers by user and factor, least recently inserted out first.
 * An entry holds the sealed text it was opened from, so a factor re-sealed,
 * replaced or re-enrolled simply misses. The key schedule runs once per
 * factor, not per sign-in, and no sign-in waits for WebCrypto on a hit.
 */
export interface VerifierCache {
  /** The factor's verifier, opening its secret on a miss (and re-sealing it when under an old key). */
  get(factor: FactorRecord): TotpVerifier | Promise<TotpVerifier>;
}

export function createVerifierCache(cfg: ResolvedConfig): VerifierCache {
  const max = cfg.secretCacheSize;
  // By factor id; an entry also holds the user id and the sealed text it was opened
  // from, and a hit needs both: a record copied to another user (same id, same
  // sealed text) must miss and fail to open, as the AAD binds the user.
  const cache = new Map<string, { userId: string; sealed: string; verifier: TotpVerifier }>();

  async function open(factor: FactorRecord): Promise<TotpVerifier> {
    const { secret, stale } = await cfg.vault.open(factor.userId, factor.id, factor.secret);
    let verifier: TotpVerifier;
    try {
      const params = paramsOf(factor);
      // The window is centred on the measured offset: the authenticator's step is the server's plus the offset.
      verifier = createTotpVerifier(secret, { ...params, t0: -offsetOf(factor) * params.period, window: cfg.window });
      if (stale) {
        // Lazy re-encryption under the current key; losing the compare-and-set means another server did it.
        const sealed = await cfg.vault.seal(factor.userId, factor.id, secret);
        await cfg.store.resealFactor(factor.userId, factor.id, factor.secret, sealed).catch(() => false);
      }
    } finally {
      secret.fill(0);
    }
    if (max > 0) {
      const old = cache.get(factor.id);
      if (old !== undefined) {
        old.verifier.destroy();
        cache.delete(factor.id);
      } else if (cache.size >= max) {
        const [oldest, entry] = cache.entries().next().value as [string, { verifier: TotpVerifier }];
        entry.verifier.destroy();
        cache.delete(oldest);
      }
      cache.set(factor.id, { userId: factor.userId, sealed: factor.secret, verifier });
    }
    return verifier;
  }

  return {
    get(factor) {
      const hit = cache.get(factor.id);
      return hit !== undefined && hit.userId === factor.userId && hit.sealed === factor.secret ? hit.verifier : open(factor);
    },
  };
}

/** The TOTP parameters a factor was enrolled with. */
export function paramsOf(factor: FactorRecord): TotpParams {
  try {
    const p = JSON.parse(factor.meta) as Partial<TotpParams>;
    const otp = resolveOtp({ algorithm: p.algorithm ?? 'SHA1', digits: p.digits ?? 6 });
    return { algorithm: otp.algorithm, digits: otp.digits, period: resolveTimeStep({ period: p.period ?? 30 }).period };
  } catch (cause) {
    throw new MfaError('SECRET_DECRYPTION_FAILED', 'a stored factor has unreadable TOTP parameters', { cause });
  }
}

/**
 * Checks `code` against every TOTP factor given, each window in constant
 * time and with no early exit across factors, so the time taken does not say
 * which factor (if any) matched. The first factor that accepts wins.
 */
export function checkFactors(cache: VerifierCache, factors: readonly FactorRecord[], code: string, now: number): TotpMatch | Failed | Promise<TotpMatch | Failed> {
  const verifiers: (TotpVerifier | Promise<TotpVerifier>)[] = [];
  let opening = false;
  for (const f of factors) {
    if (f.kind !== TOTP) continue;
    const v = cache.get(f);
    opening ||= v instanceof Promise;
    verifiers.push(v);
  }
  if (opening) return Promise.all(verifiers).then((ready) => matchAll(factors, ready, code, now));
  return matchAll(factors, verifiers as TotpVerifier[], code, now);
}

/** Every TOTP factor's window, in the order of `factors`, with no early exit. */
function matchAll(factors: readonly FactorRecord[], verifiers: readonly TotpVerifier[], code: string, now: number): TotpMatch | Failed {
  let match: TotpMatch | null = null;
  let replayed = false;
  let shaped = false;
  let i = 0;
  for (const f of factors) {
    if (f.kind !== TOTP) continue;
    const r = (verifiers[i++] as TotpVerifier).verify(code, { now, afterStep: f.counter });
    if (r.ok) match ??= { factorId: f.id, step: r.step };
    else if (r.reason === 'replayed') replayed = true;
    if (r.ok || r.reason !== 'malformed') shaped = true;
  }
  return match ?? (replayed ? REPLAYED : shaped || i === 0 ? MISMATCH : MALFORMED);
}

/** Sign-in with a code from any active authenticator. */
export function totpSignIn(cfg: ResolvedConfig, cache: VerifierCache): AttemptKind<string, AttemptStart, TotpMatch, Accepted> {
  return {
    method: TOTP,
    absent: 'not-enrolled',
    lost: 'replayed',
    load: reserveFactors(cfg, 'active'),
    check: (_userId, { factors }, code, now) => checkFactors(cache, factors, code, now),
    accept: (userId, m, now) => cfg.store.advanceCounter(userId, m.factorId, m.step, now),
    factorOf: (m) => m.factorId,
  };
}

/** What confirming an enrolment needs: one code, or two consecutive ones; and the recovery codes to store with a first factor. */
export interface ConfirmInput {
  codes: readonly [string] | readonly [string, string];
  /** The set generated for this confirmation, stored only with the user's first factor. */
  recovery: RecoverySet;
}

/** Enrolment confirmation: the first code (or two consecutive codes) of one of the user's pending authenticators. */
export function totpConfirm(cfg: ResolvedConfig, cache: VerifierCache): AttemptKind<ConfirmInput, AttemptStart, ConfirmMatch, Activated> {
  return {
    method: TOTP,
    absent: 'not-enrolled',
    lost: 'expired',
    load: reserveFactors(cfg, 'pending'),
    async check(_userId, { factors }, { codes, recovery }, now) {
      if (codes.length === 2) {
        const m = await checkPairs(cfg, factors, codes, now);
        return typeof m === 'string' ? m : { ...m, recovery };
      }
      const m = await checkFactors(cache, factors, codes[0], now);
      if (typeof m === 'string') return m;
      return { factorId: m.factorId, counter: m.step, meta: (factors.find((f) => f.id === m.factorId) as FactorRecord).meta, recovery };
    },
    accept: activateMatch(cfg),
    factorOf: (m) => m.factorId,
  };
}

/**
 * Two consecutive codes against every pending TOTP factor (RFC 6238 §6
 * resynchronisation): the second code's step may be up to {@link MAX_OFFSET}
 * steps off the server's, the first must be the step before it. Every
 * candidate step of every factor is checked, each exactly, with no early exit.
 * The offset found becomes the factor's; its step is the one claimed.
 */
async function checkPairs(cfg: ResolvedConfig, factors: readonly FactorRecord[], [first, second]: readonly [string, string], now: number): Promise<Omit<ConfirmMatch, 'recovery'> | Failed> {
  let match: Omit<ConfirmMatch, 'recovery'> | null = null;
  let shaped = false;
  for (const f of factors) {
    if (f.kind !== TOTP) continue;
    const params = paramsOf(f);
    const { secret } = await cfg.vault.open(f.userId, f.id, f.secret);
    // Window 0: each code is checked at exactly the step asked for.
    const exact = createTotpVerifier(secret, { ...params, window: 0 });
    secret.fill(0);
    const at = (step: number): number => step * params.period * 1000;
    const current = Math.floor(now / 1000 / params.period);
    try {
      for (let offset = -MAX_OFFSET; offset <= MAX_OFFSET; offset++) {
        const step = current + offset;
        const a = exact.verify(first, { now: at(step - 1) });
        const b = exact.verify(second, { now: at(step) });
        if (a.ok && b.ok) match ??= { factorId: f.id, counter: step, meta: withOffset(f.meta, offset) };
        if (a.ok || a.reason !== 'malformed' || b.ok || b.reason !== 'malformed') shaped = true;
      }
    } finally {
      exact.destroy();
    }
  }
  return match ?? (shaped ? MISMATCH : MALFORMED);
}

/**
 * Whether `code` is shaped like an authenticator code: 6–10 ASCII digits,
 * spaces allowed. Anything else is malformed and costs nothing; so is a
 * length that none of the user's factors takes (told by the check).
 */
export function isTotpCode(code: unknown): code is string {
  const digits = countDigits(code);
  return digits >= 6 && digits <= 10;
}
