// Passkey registration and the passkey second step (see docs/passkeys.md).
import { MfaError } from '../errors.js';
import { describe } from '../internal/assert.js';
import { assertLabel, assertName, assertUserId } from '../internal/ids.js';
import type { Mfa, PasskeyRelyingParty } from '../types.js';
import type { ResolvedConfig } from './config.js';
import { confirmPending, newFactorId, pendingFactor } from './enrollment.js';
import { CHALLENGE_TTL_MS, challengeDigest, challengeRecordId, credentialsOf, newChallenge, parsePasskeyAnswer, PASSKEY, passkeyConfirm, userHandle } from './factors/passkey.js';
import { newRecoveryCodes } from './factors/recovery.js';
import { toBase64Url } from './secrets.js';
import { requireCapability } from './store.js';

const DEFAULT_LABEL = 'Passkey';

/** The relying party, or `INVALID_CONFIG` naming the flow that needs it. */
function relyingParty(cfg: ResolvedConfig, flow: string): PasskeyRelyingParty {
  if (cfg.passkeys === null) throw new MfaError('INVALID_CONFIG', `${flow} needs createMfa({ passkeys: webauthn({ rpId, rpName, origins }) }) from 'mfakit/webauthn'`);
  return cfg.passkeys;
}

/** beginPasskeyRegistration, finishPasskeyRegistration and beginPasskeySignIn of {@link Mfa}. */
export function passkeyFlows(cfg: ResolvedConfig): Pick<Mfa, 'beginPasskeyRegistration' | 'finishPasskeyRegistration' | 'beginPasskeySignIn'> {
  const confirm = cfg.passkeys === null ? null : passkeyConfirm(cfg, cfg.passkeys);
  return {
    async beginPasskeyRegistration(userId, opts) {
      assertUserId(userId);
      const rp = relyingParty(cfg, 'beginPasskeyRegistration');
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`options must be an object { userName, label? }, got ${describe(opts)}`);
      assertName(opts.userName, 'userName');
      const label = opts.label ?? DEFAULT_LABEL;
      assertLabel(label);
      const now = cfg.clock();
      const expiresAt = now + cfg.enrollmentTtlMs;
      const challenge = newChallenge(cfg, expiresAt);
      const id = newFactorId(cfg);
      // The challenge is the pending registration's secret, sealed like a TOTP secret (pendingFactor zeroes its copy).
      const record = await pendingFactor(cfg, { id, userId, label, now, secret: challenge.slice(), meta: '{}', kind: PASSKEY });
      const { factors } = await cfg.store.getUser(userId);
      const options = await rp.registrationOptions({ challenge, userHandle: userHandle(cfg, userId), userName: opts.userName, exclude: credentialsOf(factors) });
      // Each registration has its own challenge: one pending under this label is replaced.
      const put = await cfg.store.putPendingFactor(record, { now, maxFactors: cfg.maxFactors, replace: true });
      if (!put.ok) throw new MfaError('FACTOR_LIMIT', `the user already has ${cfg.maxFactors} authenticators; remove one first`);
      cfg.emit(() => ({ type: 'enrollment.started', userId, at: now, factorId: id }));
      return { factorId: id, options, expiresAt: record.expiresAt as number };
    },

    async finishPasskeyRegistration(userId, response) {
      assertUserId(userId);
      relyingParty(cfg, 'finishPasskeyRegistration');
      const now = cfg.clock();
      const answer = parsePasskeyAnswer(response, 'webauthn.create');
      if (answer === null || confirm === null) return { ok: false, reason: 'malformed' };
      const { codes, set } = await newRecoveryCodes(cfg, userId, now);
      return confirmPending(cfg, confirm, userId, { ...answer, recovery: set }, codes, now);
    },

    async beginPasskeySignIn(userId) {
      assertUserId(userId);
      const rp = relyingParty(cfg, 'beginPasskeySignIn');
      const oneTime = requireCapability(cfg.store, 'oneTime', 'beginPasskeySignIn');
      const now = cfg.clock();
      const allow = credentialsOf((await cfg.store.getUser(userId)).factors);
      if (allow.length === 0) throw new MfaError('NOT_ENROLLED', 'the user has no passkey');
      const expiresAt = now + CHALLENGE_TTL_MS;
      const challenge = newChallenge(cfg, expiresAt);
      const text = toBase64Url(challenge);
      // Single use: the first assertion checked against it takes its one try.
      await oneTime.putCode({ id: challengeRecordId(cfg, userId, text), userId, digest: challengeDigest(cfg, text), createdAt: now, expiresAt, attemptsLeft: 1 }, 0);
      return { options: await rp.authenticationOptions({ challenge, allow }), expiresAt };
    },
  };
}
