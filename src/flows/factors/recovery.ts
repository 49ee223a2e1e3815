// Recovery codes (NIST SP 800-63B §5.1.2 look-up secrets): one set per user,
// stored as digests, each consumed once.
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from '../../core/recovery.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Accepted, AttemptStart, RecoverySet } from '../../store/types.js';
import { reserveFactors, type AttemptKind } from '../attempt.js';
import type { ResolvedConfig } from '../config.js';

/** Recovery codes left at or below which `recovery.low` is emitted. */
export const LOW_RECOVERY_CODES = 3;

/** The canonical form of a recovery code, or `null` when `input` is not one. */
export const parseRecoveryCode = (input: unknown): string | null => (typeof input === 'string' ? normalizeRecoveryCode(input) : null);

/**
 * The name a viewable set is sealed under, in place of a factor id (the AAD
 * binds it): factor ids are 22 base64url characters, so it names no factor.
 */
const RECOVERY_SET = 'recovery-codes';

/**
 * A fresh set made at `now`: the codes to show once, and what the store
 * keeps — the digests, and with `recoveryCodes.viewable` the set sealed with
 * the key ring: when it was made, then the codes.
 */
export async function newRecoveryCodes(cfg: ResolvedConfig, userId: string, now: number): Promise<{ codes: string[]; set: RecoverySet }> {
  const codes = generateRecoveryCodes({ count: cfg.recoveryCodeCount, ...(cfg.random === undefined ? {} : { random: cfg.random }) });
  const digests = codes.map((c) => recoveryDigest(cfg, c));
  if (!cfg.viewableRecoveryCodes) return { codes, set: { digests, sealed: null } };
  // Without the dashes, so 100 codes stay within a store's 4096 characters.
  const text = utf8ToBytes([String(now), ...codes.map((c) => c.replaceAll('-', ''))].join(' '));
  return { codes, set: { digests, sealed: await cfg.vault.seal(userId, RECOVERY_SET, text) } };
}

/** The codes of a stored set still unused (the sealed copy opened, kept where its digest is still in the set), and when the set was made. */
export async function unusedRecoveryCodes(cfg: ResolvedConfig, userId: string, set: RecoverySet): Promise<{ codes: string[]; createdAt: number | null }> {
  if (set.sealed === null) return { codes: [], createdAt: null };
  const { secret } = await cfg.vault.open(userId, RECOVERY_SET, set.sealed);
  const [made, ...words] = new TextDecoder().decode(secret).split(' ');
  secret.fill(0);
  const left = new Set(set.digests);
  const codes = words.map((c) => normalizeRecoveryCode(c)).filter((c): c is string => c !== null && left.has(recoveryDigest(cfg, c)));
  return { codes, createdAt: Number(made) };
}

const recoveryDigest = (cfg: ResolvedConfig, canonical: string): string => hashRecoveryCode(canonical, cfg.pepper === undefined ? {} : { pepper: cfg.pepper });

/** Sign-in with a recovery code: the store consumes the digest, which is the check. */
export function recoverySignIn(cfg: ResolvedConfig): AttemptKind<string, AttemptStart, string, Accepted> {
  return {
    method: 'recovery',
    absent: 'not-enrolled',
    lost: 'mismatch',
    load: reserveFactors(cfg, 'active'),
    check: (_userId, _loaded, canonical) => recoveryDigest(cfg, canonical),
    accept: (userId, digest) => cfg.store.consumeRecoveryCode(userId, digest),
    accepted(userId, _digest, { recoveryCodes }, now) {
      cfg.emit(() => ({ type: 'recovery.used', userId, at: now, remaining: recoveryCodes }));
      if (recoveryCodes <= LOW_RECOVERY_CODES) cfg.emit(() => ({ type: 'recovery.low', userId, at: now, remaining: recoveryCodes }));
    },
  };
}
