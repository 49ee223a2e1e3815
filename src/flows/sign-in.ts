import type { MfaVerifyResult } from '../types.js';
import type { Accepted, AttemptStart, CodeAttempt } from '../store/types.js';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import type { ResolvedConfig } from './config.js';
import { parsePasskeyAnswer, passkeySignIn, type PasskeyMatch } from './factors/passkey.js';
import { parseRecoveryCode, recoverySignIn } from './factors/recovery.js';
import { isTotpCode, totpSignIn, type TotpMatch, type VerifierCache } from './factors/totp.js';

/** Checks a sign-in answer for a user whose id and clock are already checked; see {@link Mfa.verify}. */
export type SignIn = (userId: string, code: unknown, now: number) => Promise<MfaVerifyResult>;

/**
 * The second step of a sign-in: digits are an authenticator code, anything
 * that reads as a recovery code is one, a WebAuthn assertion (with passkeys
 * configured) is a passkey's answer, and anything else is malformed,
 * answered before any store call. One sign-in kind per answer shape, each
 * through the one attempt pipeline.
 */
export function createSignIn(cfg: ResolvedConfig, cache: VerifierCache): SignIn {
  const totp = totpSignIn(cfg, cache);
  const recovery = recoverySignIn(cfg);
  const passkey = cfg.passkeys === null ? null : passkeySignIn(cfg, cfg.passkeys);
  const totpAnswer = (r: AttemptOutcome<AttemptStart, TotpMatch, Accepted>): MfaVerifyResult =>
    r.ok ? { ok: true, method: 'totp', factorId: r.match.factorId, remainingRecoveryCodes: r.result.recoveryCodes } : r.failure;
  const recoveryAnswer = (r: AttemptOutcome<AttemptStart, string, Accepted>): MfaVerifyResult =>
    r.ok ? { ok: true, method: 'recovery', remainingRecoveryCodes: r.result.recoveryCodes } : r.failure;
  const passkeyAnswer = (r: AttemptOutcome<CodeAttempt, PasskeyMatch, Accepted>): MfaVerifyResult =>
    r.ok ? { ok: true, method: 'webauthn', factorId: r.match.factorId, remainingRecoveryCodes: r.result.recoveryCodes } : r.failure;
  return (userId, code, now) => {
    if (isTotpCode(code)) return runAttempt(cfg, totp, userId, code, now).then(totpAnswer);
    const canonical = parseRecoveryCode(code);
    if (canonical !== null) return runAttempt(cfg, recovery, userId, canonical, now).then(recoveryAnswer);
    const assertion = passkey === null ? null : parsePasskeyAnswer(code, 'webauthn.get');
    if (passkey !== null && assertion !== null) return runAttempt(cfg, passkey, userId, assertion, now).then(passkeyAnswer);
    cfg.emit(() => ({ type: 'verify.failed', userId, at: now, reason: 'malformed' }));
    return Promise.resolve({ ok: false, reason: 'malformed' });
  };
}

/** Whether `code` could be a sign-in answer at all (checked before anything else is spent on it). */
export const isSignInAnswer = (cfg: ResolvedConfig, code: unknown): boolean =>
  isTotpCode(code) || parseRecoveryCode(code) !== null || (cfg.passkeys !== null && parsePasskeyAnswer(code, 'webauthn.get') !== null);
