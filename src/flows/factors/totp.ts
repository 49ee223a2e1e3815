// Authenticator-app factors (RFC 6238 TOTP): sign-in and enrolment confirmation
// as attempt kinds, over prepared verifiers kept per factor.
import { createTotpVerifier, type TotpVerifier } from '../../core/totp.js';
import { MfaError } from '../../errors.js';
import { resolveOtp, resolveTimeStep } from '../../internal/options.js';
import { countDigits } from '../../internal/token.js';
import type { Accepted, Activated, AttemptStart, FactorRecord } from '../../store/types.js';
import { MALFORMED, MISMATCH, REPLAYED, type AttemptKind, type Failed } from '../attempt.js';
import type { ResolvedConfig, TotpParams } from '../config.js';

export const TOTP = 'totp';

/** A code that matched: the factor and the step to claim. */
export interface TotpMatch {
  factorId: string;
  step: number;
}

/** What a factor's `meta` holds: the parameters it was enrolled with, and whether its secret is under 16 bytes (imported). */
export const totpMeta = (p: TotpParams, weakSecret = false): string =>
  JSON.stringify(weakSecret ? { algorithm: p.algorithm, digits: p.digits, period: p.period, weakSecret } : { algorithm: p.algorithm, digits: p.digits, period: p.period });

/** Whether a factor was imported with a secret under 16 bytes (RFC 4226 §4 R6). */
export function isWeak(factor: FactorRecord): boolean {
  try {
    return (JSON.parse(factor.meta) as { weakSecret?: unknown }).weakSecret === true;
  } catch {
    return false;
  }
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
      verifier = createTotpVerifier(secret, { ...paramsOf(factor), window: cfg.window });
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
    load: (userId, _code, now) => cfg.store.beginAttempt(userId, 'active', now, cfg.schedule),
    check: (_userId, { factors }, code, now) => checkFactors(cache, factors, code, now),
    accept: (userId, m, now) => cfg.store.advanceCounter(userId, m.factorId, m.step, now),
    factorOf: (m) => m.factorId,
  };
}

/** What confirming an enrolment needs beyond the match: the recovery codes to issue with a first factor. */
export interface ConfirmInput {
  code: string;
  /** Digests of the codes generated for this confirmation, stored only with the user's first factor. */
  digests: readonly string[];
}

/** Enrolment confirmation: the first code of one of the user's pending authenticators. */
export function totpConfirm(cfg: ResolvedConfig, cache: VerifierCache): AttemptKind<ConfirmInput, AttemptStart, TotpMatch & { digests: readonly string[] }, Activated> {
  return {
    method: TOTP,
    absent: 'not-enrolled',
    lost: 'expired',
    load: (userId, _input, now) => cfg.store.beginAttempt(userId, 'pending', now, cfg.schedule),
    check(_userId, { factors }, input, now) {
      const r = checkFactors(cache, factors, input.code, now);
      const withDigests = (m: TotpMatch | Failed) => (typeof m === 'string' ? m : { ...m, digests: input.digests });
      return r instanceof Promise ? r.then(withDigests) : withDigests(r);
    },
    accept: (userId, m, now) => cfg.store.activateFactor(userId, m.factorId, m.step, now, m.digests),
    factorOf: (m) => m.factorId,
  };
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
