// Recovery codes (NIST SP 800-63B §5.1.2 look-up secrets): one set per user,
// stored as digests, each consumed once.
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from '../../core/recovery.js';
import type { Accepted, AttemptStart } from '../../store/types.js';
import type { AttemptKind } from '../attempt.js';
import type { ResolvedConfig } from '../config.js';

/** Recovery codes left at or below which `recovery.low` is emitted. */
export const LOW_RECOVERY_CODES = 3;

/** The canonical form of a recovery code, or `null` when `input` is not one. */
export const parseRecoveryCode = (input: unknown): string | null => (typeof input === 'string' ? normalizeRecoveryCode(input) : null);

/** A fresh set: the codes to show once, and the digests to store. */
export function newRecoveryCodes(cfg: ResolvedConfig): { codes: string[]; digests: string[] } {
  const codes = generateRecoveryCodes({ count: cfg.recoveryCodeCount, ...(cfg.random === undefined ? {} : { random: cfg.random }) });
  return { codes, digests: codes.map((c) => recoveryDigest(cfg, c)) };
}

const recoveryDigest = (cfg: ResolvedConfig, canonical: string): string => hashRecoveryCode(canonical, cfg.pepper === undefined ? {} : { pepper: cfg.pepper });

/** Sign-in with a recovery code: the store consumes the digest, which is the check. */
export function recoverySignIn(cfg: ResolvedConfig): AttemptKind<string, AttemptStart, string, Accepted> {
  return {
    method: 'recovery',
    absent: 'not-enrolled',
    lost: 'mismatch',
    load: (userId, _code, now) => cfg.store.beginAttempt(userId, 'active', now, cfg.schedule),
    check: (_userId, _loaded, canonical) => recoveryDigest(cfg, canonical),
    accept: (userId, digest) => cfg.store.consumeRecoveryCode(userId, digest),
    accepted(userId, _digest, { recoveryCodes }, now) {
      cfg.emit(() => ({ type: 'recovery.used', userId, at: now, remaining: recoveryCodes }));
      if (recoveryCodes <= LOW_RECOVERY_CODES) cfg.emit(() => ({ type: 'recovery.low', userId, at: now, remaining: recoveryCodes }));
    },
  };
}
