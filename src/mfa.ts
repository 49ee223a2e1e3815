import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './core/recovery.js';
import { decodeSecret, generateSecret, secretBytes } from './core/secret.js';
import type { TotpWindow } from './core/totp.js';
import { buildOtpauthUri } from './core/uri.js';
import { MfaError } from './errors.js';
import { assertInteger, describe } from './internal/assert.js';
import { createOtpMac, type Algorithm } from './internal/hmac.js';
import { resolveOtp, resolveTimeStep, resolveWindow } from './internal/options.js';
import { fillRandom, randomString, type RandomSource } from './internal/random.js';
import { createSealer, type SecretKeyRing } from './internal/seal.js';
import { formatCode, parseToken, POW10 } from './internal/token.js';
import { matchWindow, MISMATCH, REPLAYED } from './internal/window.js';
import type { AttemptReservation, FactorRecord, MfaStore, ThrottlePolicy } from './store/types.js';

export type { SecretKeyRing } from './internal/seal.js';

/**
 * Whether MFA is required for a user: `true`, `false`, or required with a
 * grace period that ends at `graceEndsAt` (ms since the epoch). Until then a
 * user without a factor may still sign in with the password alone, and the
 * host shows an "enable two-factor authentication" reminder.
 */
export type RequiredRule = boolean | { graceEndsAt: number };

/** Organisation policy of {@link createMfa}. */
export interface MfaPolicy {
  /**
   * "Require MFA for all users": a rule for everyone, or a function deciding
   * per user (e.g. by organisation, role, or sign-up date plus a grace period).
   * @default false
   */
  required?: RequiredRule | ((userId: string) => RequiredRule | Promise<RequiredRule>);
  /**
   * Throttling numbers (RFC 4226 §7.3, NIST SP 800-63B §5.2.2).
   * @default { freeFailures: 5, baseLockMs: 30_000, maxLockMs: 900_000, suspendAfter: 100 }
   */
  throttle?: Partial<ThrottlePolicy>;
}

/** TOTP parameters of the factors {@link createMfa} enrols. Most authenticator apps support only the defaults. */
export interface MfaTotpOptions {
  /** @default 'SHA1' */
  algorithm?: Algorithm;
  /** @default 6 */
  digits?: number;
  /** Seconds per step. @default 30 */
  period?: number;
  /** Steps accepted either side of the current one (RFC 6238 §5.2). @default 1 */
  window?: TotpWindow;
}

/** Options of {@link createMfa}. */
export interface CreateMfaOptions {
  /** Where factors, recovery-code digests and attempts live. */
  store: MfaStore;
  /** Service name shown in authenticator apps; no colon. */
  issuer: string;
  /**
   * Key ring encrypting TOTP secrets at rest (AES-256-GCM). Required unless
   * `allowPlaintextSecrets` is true. Rotate by adding a key and pointing
   * `current` at it; records under older ids are re-encrypted when next used.
   */
  secretKeys?: SecretKeyRing;
  /**
   * DEVELOPMENT ONLY: store TOTP secrets unencrypted, instead of `secretKeys`
   * (passing both is `INVALID_CONFIG`). Anyone who can read the database can then
   * generate every user's codes.
   * @default false
   */
  allowPlaintextSecrets?: boolean;
  /**
   * How many opened TOTP secrets to keep in memory (least recently used
   * first out), so a sign-in needs no WebCrypto decryption. The key ring is in
   * the same memory, so this adds nothing for an attacker who can read it; 0 disables.
   * @default 1000
   */
  secretCacheSize?: number;
  /** Host secret keying the recovery-code HMAC; keep it outside the database. @default none (SHA-256) */
  pepper?: string | Uint8Array;
  /** Required-MFA rule and throttling numbers. */
  policy?: MfaPolicy;
  /** TOTP parameters. */
  totp?: MfaTotpOptions;
  /** How long an unconfirmed enrolment stays pending, in ms (1 min – 24 h). @default 900_000 */
  enrollmentTtlMs?: number;
  /** Recovery codes per set (1–100). @default 10 */
  recoveryCodeCount?: number;
  /** The clock, ms since the epoch. @default Date.now */
  now?: () => number;
  /** Fills a buffer with random bytes. @default crypto.getRandomValues */
  random?: RandomSource;
  /**
   * Receives audit events. Called synchronously without being awaited; an
   * exception or a rejected promise is ignored and never breaks a flow.
   */
  onEvent?: (event: MfaEvent) => void | Promise<void>;
}

/** Audit event types. */
export type MfaEventType =
  | 'enrollment.started'
  | 'enrollment.confirmed'
  | 'verify.succeeded'
  | 'verify.failed'
  | 'lockout'
  | 'recovery.used'
  | 'recovery.regenerated'
  | 'mfa.disabled'
  | 'mfa.reset';

/** An audit event. It never carries a secret, a code or a recovery code. */
export interface MfaEvent {
  type: MfaEventType;
  userId: string;
  /** When it happened, ms since the epoch (the injected clock). */
  at: number;
  /** Why: a failure reason for `verify.failed`, `'locked'`/`'suspended'` for `lockout`, the host's text for `mfa.reset`. */
  reason?: string;
  /** Who acted, for `mfa.reset`. */
  actor?: string;
  /** What was checked, for `verify.succeeded` and `verify.failed`: an authenticator code, a recovery code, or an e-mail/SMS code. */
  method?: 'totp' | 'recovery' | 'code';
  /** End of the lock, for `lockout`. */
  lockedUntil?: number;
}

/** Why a code was refused. */
export type MfaFailureReason = 'mismatch' | 'malformed' | 'replayed' | 'locked' | 'suspended' | 'not-enrolled' | 'expired';

/** A refusal. `retryAfterMs` is set when a lock is in force after this answer. */
export interface MfaFailure<R extends MfaFailureReason = MfaFailureReason> {
  ok: false;
  reason: R;
  retryAfterMs?: number;
}

/** Result of {@link Mfa.verify}. */
export type MfaVerifyResult = { ok: true; method: 'totp' | 'recovery'; remainingRecoveryCodes: number } | MfaFailure;

/** Result of {@link Mfa.confirmEnrollment}. */
export type ConfirmEnrollmentResult =
  | { ok: true; recoveryCodes: string[] }
  | MfaFailure<'mismatch' | 'malformed' | 'not-enrolled' | 'expired' | 'locked' | 'suspended'>;

/** Result of {@link Mfa.beginEnrollment}. */
export interface BeginEnrollmentResult {
  /** Base32 secret, for users who type it instead of scanning. Show it once; never log it. */
  secret: string;
  /** `otpauth://` URI for the QR code. */
  uri: string;
  /** When the enrolment stops being confirmable, ms since the epoch. */
  expiresAt: number;
}

/** What the "two-factor authentication" settings page shows. */
export interface MfaStatus {
  /** `suspended` is an active factor with too many consecutive failures; only {@link Mfa.reset} (or `disable`) clears it. */
  state: 'none' | 'pending' | 'active' | 'suspended';
  /** The policy requires MFA for this user (grace period or not). */
  required: boolean;
  /** Required, not enrolled, and no grace left: send the user to enrolment before anything else. */
  mustEnroll: boolean;
  /** End of the grace period, when the rule has one and the user is not enrolled. */
  graceEndsAt?: number;
  recoveryCodesRemaining: number;
  /** Set while a lock is in force. */
  lockedUntil?: number;
}

/** Result of {@link Mfa.createChallenge}. */
export interface CreateChallengeResult {
  /** Opaque 256-bit token (base64url) for the client; only its digest is stored. */
  token: string;
  expiresAt: number;
}

/** Result of {@link Mfa.verifyChallenge}: on success, the user the challenge was created for. */
export type VerifyChallengeResult =
  | { ok: true; userId: string; method: 'totp' | 'recovery'; remainingRecoveryCodes: number }
  | MfaFailure;

/** What {@link Mfa.sendCode} hands to the host's sender. */
export interface OutgoingCode {
  /** The destination given to `sendCode`. */
  to: string;
  /** The 6-digit code. Put it in the message only; never log it. */
  code: string;
  purpose: string;
  expiresAt: number;
}

/** Options of {@link Mfa.sendCode}. */
export interface SendCodeOptions {
  /** What the code is for, e.g. `'email:verify'` or `'sign-in'`; a code only verifies for the same purpose. */
  purpose: string;
  /** The e-mail address or phone number; a code only verifies for the same destination. */
  destination: string;
  /** Delivers the code (mail, SMS). When it throws, the code is withdrawn and the error propagates. */
  send: (message: OutgoingCode) => void | Promise<void>;
}

/** Result of {@link Mfa.sendCode}. `cooldown`: a code was sent less than 60 s ago; the earlier one stays valid. */
export type SendCodeResult = { ok: true; expiresAt: number } | { ok: false; reason: 'cooldown' };

/** Options of {@link Mfa.verifyCode}. */
export interface VerifyCodeOptions {
  purpose: string;
  destination: string;
  /** What the user typed (any value; never throws on it). */
  code: unknown;
}

/** Result of {@link Mfa.verifyCode}. `attemptsLeft` on a mismatch says how many tries this code has left. */
export type VerifyCodeResult = { ok: true } | (MfaFailure & { attemptsLeft?: number });

/** The stateful MFA flows returned by {@link createMfa}. */
export interface Mfa {
  /**
   * Starts (or restarts) an enrolment: a new secret, pending for `enrollmentTtlMs`
   * (15 min), replacing any unconfirmed one.
   * @param userId - the host's user id
   * @param opts - `account`: the name the authenticator app shows, e.g. the e-mail address
   * @returns `{ secret, uri, expiresAt }`: render `uri` as a QR code and show `secret` for typing
   * @throws {MfaError} `ALREADY_ENROLLED` when the user has an active factor; `STORE_UNAVAILABLE`
   * @throws {TypeError} on a bad user id or account
   * @example
   * const { uri, secret } = await mfa.beginEnrollment(user.id, { account: user.email });
   */
  beginEnrollment(userId: string, opts: { account: string }): Promise<BeginEnrollmentResult>;
  /**
   * Confirms a pending enrolment with the first code. In one store step the
   * factor becomes active, the code's step is claimed (it cannot sign in again)
   * and the recovery codes are stored.
   * @param userId - the host's user id
   * @param code - what the user typed (any value; never throws on it)
   * @returns `{ ok: true, recoveryCodes }` (show them once) or `{ ok: false, reason }`
   * @throws {MfaError} `STORE_UNAVAILABLE`, `SECRET_DECRYPTION_FAILED`
   * @example
   * const r = await mfa.confirmEnrollment(user.id, req.body.code);
   * if (r.ok) showOnce(r.recoveryCodes);
   */
  confirmEnrollment(userId: string, code: unknown): Promise<ConfirmEnrollmentResult>;
  /**
   * Checks a sign-in code: a `digits`-long number is a TOTP code, anything that
   * normalises to a recovery code is one. Malformed input costs nothing; any
   * other attempt is counted before it is checked.
   * @param userId - the host's user id, after the password was checked
   * @param code - what the user typed (any value; never throws on it)
   * @returns `{ ok: true, method, remainingRecoveryCodes }` or `{ ok: false, reason, retryAfterMs? }`
   * @throws {MfaError} `STORE_UNAVAILABLE`, `SECRET_DECRYPTION_FAILED`
   * @example
   * const r = await mfa.verify(user.id, req.body.code);
   * if (!r.ok && r.reason === 'locked') res.set('Retry-After', String(Math.ceil(r.retryAfterMs! / 1000)));
   */
  verify(userId: string, code: unknown): Promise<MfaVerifyResult>;
  /**
   * Replaces the user's recovery codes with a new set; the old set stops working at once.
   * @param userId - the host's user id
   * @returns the new codes, to show once
   * @throws {MfaError} `NOT_ENROLLED` without an active factor; `STORE_UNAVAILABLE`
   * @example
   * const codes = await mfa.regenerateRecoveryCodes(user.id);
   */
  regenerateRecoveryCodes(userId: string): Promise<string[]>;
  /**
   * Removes the user's factor, recovery codes, attempts and challenges. The
   * host re-checks the password (and a current second factor) first.
   * @param userId - the host's user id
   * @returns whether a factor existed
   * @throws {MfaError} `STORE_UNAVAILABLE`
   * @example
   * if (await checkPassword(user, req.body.password)) await mfa.disable(user.id);
   */
  disable(userId: string): Promise<boolean>;
  /**
   * An owner's or administrator's reset after a lost phone: removes everything
   * as `disable` does, also lifting a suspension, and emits `mfa.reset` with the actor and reason.
   * @param userId - the user being reset
   * @param opts - `actor`: who resets; `reason`: free text for the audit log
   * @returns whether a factor existed
   * @throws {MfaError} `STORE_UNAVAILABLE`; {@link TypeError} on a missing actor or reason
   * @example
   * await mfa.reset(target.id, { actor: admin.id, reason: 'lost phone, identity checked by video call' });
   */
  reset(userId: string, opts: { actor: string; reason: string }): Promise<boolean>;
  /**
   * What the settings page shows: state, policy, codes left, lock.
   * @param userId - the host's user id
   * @returns see {@link MfaStatus}
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` when a `policy.required` function returns something else than a rule
   * @example
   * const s = await mfa.status(user.id);
   * if (s.mustEnroll) return res.redirect('/settings/2fa');
   */
  status(userId: string): Promise<MfaStatus>;
  /**
   * Starts a pending second-factor step for an API: after the password, hand
   * the client a token; it comes back with a code to {@link Mfa.verifyChallenge}.
   * The token is 256 random bits, stored only as a digest, valid 5 minutes for 5 codes.
   * @param userId - the user whose password was just checked
   * @returns `{ token, expiresAt }`
   * @throws {MfaError} `STORE_UNAVAILABLE`
   * @example
   * const { token } = await mfa.createChallenge(user.id);
   * res.json({ mfaRequired: true, token });
   */
  createChallenge(userId: string): Promise<CreateChallengeResult>;
  /**
   * Completes a pending second-factor step: the token names the user, the code
   * is checked as {@link Mfa.verify} does (same budget, same replay guard). The
   * challenge is consumed on success; an unknown, used or expired token is `expired`.
   * @param token - the token from `createChallenge` (any value; never throws on it)
   * @param code - a TOTP or recovery code (any value; never throws on it)
   * @returns `{ ok: true, userId, method, remainingRecoveryCodes }` or `{ ok: false, reason, retryAfterMs? }`
   * @throws {MfaError} `STORE_UNAVAILABLE`, `SECRET_DECRYPTION_FAILED`
   * @example
   * const r = await mfa.verifyChallenge(req.body.token, req.body.code);
   * if (r.ok) issueSession(r.userId);
   */
  verifyChallenge(token: unknown, code: unknown): Promise<VerifyChallengeResult>;
  /**
   * Sends a 6-digit e-mail/SMS code, valid 5 minutes for 5 tries, bound to user,
   * purpose and destination. A new code replaces the previous one, but not within 60 s.
   * @param userId - the user
   * @param opts - `purpose`, `destination` and the host's `send` function
   * @returns `{ ok: true, expiresAt }` or `{ ok: false, reason: 'cooldown' }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; whatever `send` throws
   * @example
   * await mfa.sendCode(user.id, { purpose: 'email:verify', destination: email, send: ({ to, code }) => mailer.send(to, `Your code: ${code}`) });
   */
  sendCode(userId: string, opts: SendCodeOptions): Promise<SendCodeResult>;
  /**
   * Checks an e-mail/SMS code for the same user, purpose and destination. It
   * shares the user's throttling budget with TOTP and recovery codes.
   * @param userId - the user
   * @param opts - `purpose`, `destination`, `code`
   * @returns `{ ok: true }` or `{ ok: false, reason, retryAfterMs?, attemptsLeft? }`
   * @throws {MfaError} `STORE_UNAVAILABLE`
   * @example
   * const r = await mfa.verifyCode(user.id, { purpose: 'email:verify', destination: email, code: req.body.code });
   */
  verifyCode(userId: string, opts: VerifyCodeOptions): Promise<VerifyCodeResult>;
}

const DEFAULT_THROTTLE: ThrottlePolicy = { freeFailures: 5, baseLockMs: 30_000, maxLockMs: 900_000, suspendAfter: 100 };
const STORE_METHODS = [
  'getFactor', 'putPendingFactor', 'activateFactor', 'updateFactorSecret', 'deleteUser', 'claimStep', 'reserveAttempt',
  'clearFailures', 'getAttempts', 'replaceRecoveryCodes', 'consumeRecoveryCode', 'countRecoveryCodes', 'putChallenge',
  'consumeChallenge', 'deleteChallenge',
] as const;
const MAX_USER_ID = 1024;
const CHALLENGE_TTL_MS = 300_000;
const CHALLENGE_ATTEMPTS = 5;
const CODE_TTL_MS = 300_000;
const CODE_COOLDOWN_MS = 60_000;
const CODE_DIGITS = 6;
const SIGN_IN = 'mfakit:sign-in';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Creates the stateful MFA flows over a store: enrolment with a first-code
 * confirmation, sign-in with a TOTP or recovery code (replay-protected and
 * throttled), recovery-code regeneration, disable, administrator reset,
 * status and the required-MFA policy. See docs/flows.md and docs/security.md.
 *
 * Every method is async. What an end user typed is answered with
 * `{ ok: false, reason }`, never an exception; a failing store becomes
 * `MfaError('STORE_UNAVAILABLE')`, never a success.
 *
 * @param opts - see {@link CreateMfaOptions}; `store` and `issuer` are required
 * @returns the flows
 * @throws {MfaError} `INVALID_CONFIG` on a missing store method, a bad issuer,
 *   key ring, pepper, policy or TOTP option, or no `secretKeys` without `allowPlaintextSecrets`
 * @example
 * const mfa = createMfa({
 *   store: new MemoryStore(),
 *   issuer: 'ACME',
 *   secretKeys: { current: 'k1', keys: { k1: process.env.MFA_KEY_K1! } },
 *   pepper: process.env.MFA_PEPPER!,
 *   policy: { required: true },
 * });
 * const result = await mfa.verify(user.id, req.body.code);
 * if (!result.ok) return res.status(401).json(result);
 */
export function createMfa(opts: CreateMfaOptions): Mfa {
  const cfg = resolveConfig(opts);
  const { store, sealer, throttle, clock, emit, events } = cfg;
  const { algorithm, period, past, future, mod } = cfg.totp;

  /** Runs one store call; any failure becomes STORE_UNAVAILABLE so it can never read as a success. */
  async function call<T>(method: (typeof STORE_METHODS)[number], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new MfaError('STORE_UNAVAILABLE', `store.${method} failed; nothing was accepted`, { cause });
    }
  }

  const hash = (canonical: string): string => hashRecoveryCode(canonical, cfg.pepper === undefined ? {} : { pepper: cfg.pepper });

  function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
    const codes = generateRecoveryCodes({ count: cfg.recoveryCodeCount, ...(cfg.random ? { random: cfg.random } : {}) });
    return { codes, hashes: codes.map(hash) };
  }

  /** Opens the sealed secret; re-seals it under the current key when it was under an older one. */
  async function openSecret(userId: string, factor: FactorRecord): Promise<Uint8Array> {
    const { secret, stale } = await sealer.open(userId, factor.secret);
    if (stale) {
      const resealed = await sealer.seal(userId, secret);
      // Losing the compare-and-set means another server re-sealed first; either result is fine.
      await call('updateFactorSecret', () => store.updateFactorSecret(userId, factor.secret, resealed));
    }
    return secret;
  }

  /**
   * `verifyTotp(secret, code, { ...cfg.totp, now, afterStep })` with the options
   * resolved once in createMfa and the code already parsed (`value` ≥ 0): the same
   * checks in the same order, every step of the window computed and compared in
   * constant time with no early exit, the closest fresh step winning. Returns the
   * matched step, or MISMATCH / REPLAYED. Zeroes `secret`.
   */
  function matchTotp(secret: Uint8Array, value: number, now: number, afterStep: number): number {
    try {
      assertInteger(afterStep, 'afterStep', -1, Number.MAX_SAFE_INTEGER);
      secretBytes(secret, false);
      // RFC 6238 §4.2 with t0 = 0, as timeStep(now, { period }).
      const current = Math.floor(Math.floor(now / 1000) / period);
      const mac = createOtpMac(algorithm, secret);
      const step = matchWindow(mac, value, mod, current, past, future, afterStep);
      mac.destroy();
      return step;
    } finally {
      secret.fill(0);
    }
  }

  /** What `call` throws: a store failure never reads as a success. */
  const unavailable = (method: (typeof STORE_METHODS)[number], cause: unknown): MfaError =>
    new MfaError('STORE_UNAVAILABLE', `store.${method} failed; nothing was accepted`, { cause });

  // The sign-in hot path. Each store call is awaited directly on the store's
  // promise inside try/catch, as `call` does, without an extra async frame and
  // closure per call; events are built only when there is an onEvent to take them.
  // Without `now` (mfa.verify) it checks the user id and reads the clock itself,
  // so `verify` hands back this promise with no async wrapper of its own.
  async function verifyUser(userId: string, code: unknown, now?: number): Promise<MfaVerifyResult> {
    if (now === undefined) {
      assertUserId(userId);
      now = clock();
    }
    const value = parseToken(code, cfg.digits);
    const totp = value >= 0;
    const recovery = totp ? null : normalizeRecoveryCode(code as string);
    const method = totp ? 'totp' : 'recovery';
    // A malformed input cannot be a guess, so it is answered before any store call and costs no budget.
    if (!totp && recovery === null) {
      if (events) emit({ type: 'verify.failed', userId, at: now, reason: 'malformed' });
      return { ok: false, reason: 'malformed' };
    }
    let factor: FactorRecord | null;
    try {
      factor = await store.getFactor(userId);
    } catch (cause) {
      throw unavailable('getFactor', cause);
    }
    if (factor === null || factor.state !== 'active') {
      if (events) emit({ type: 'verify.failed', userId, at: now, reason: 'not-enrolled', method });
      return { ok: false, reason: 'not-enrolled' };
    }
    // Opened before the reservation: a server that cannot decrypt must not lock its users out.
    // A cached, current-key secret is copied out synchronously; anything else goes through openSecret.
    const secret = totp ? (sealer.openCached?.(userId, factor.secret) ?? (await openSecret(userId, factor))) : null;
    // Reserved before the check, so concurrent guesses cannot all slip past the lock.
    let reservation: AttemptReservation;
    try {
      reservation = await store.reserveAttempt(userId, now, throttle);
    } catch (cause) {
      secret?.fill(0);
      throw unavailable('reserveAttempt', cause);
    }
    if (!reservation.allowed) {
      secret?.fill(0);
      return refused(userId, now, reservation, method);
    }

    let failure: 'mismatch' | 'replayed' | null = null;
    if (secret !== null) {
      const step = matchTotp(secret, value, now, factor.lastStep);
      if (step === MISMATCH) failure = 'mismatch';
      else if (step === REPLAYED) failure = 'replayed';
      else {
        let claimed: boolean;
        try {
          claimed = await store.claimStep(userId, step);
        } catch (cause) {
          throw unavailable('claimStep', cause);
        }
        if (!claimed) failure = 'replayed';
      }
    } else {
      let consumed: boolean;
      try {
        consumed = await store.consumeRecoveryCode(userId, hash(recovery as string));
      } catch (cause) {
        throw unavailable('consumeRecoveryCode', cause);
      }
      if (!consumed) failure = 'mismatch';
    }

    if (failure === null) {
      let remainingRecoveryCodes: number;
      try {
        await store.clearFailures(userId);
      } catch (cause) {
        throw unavailable('clearFailures', cause);
      }
      try {
        remainingRecoveryCodes = await store.countRecoveryCodes(userId);
      } catch (cause) {
        throw unavailable('countRecoveryCodes', cause);
      }
      if (events) {
        if (!totp) emit({ type: 'recovery.used', userId, at: now });
        emit({ type: 'verify.succeeded', userId, at: now, method });
      }
      return { ok: true, method, remainingRecoveryCodes };
    }
    return failAfterReservation(userId, now, failure, reservation, method);
  }

  /** A failure after a reservation: emits the events and reports the lock now in force. */
  function failAfterReservation<R extends MfaFailureReason>(userId: string, now: number, reason: R, reservation: AttemptReservation, method: MfaEvent['method']): MfaFailure<R> {
    if (events) emit(method === undefined ? { type: 'verify.failed', userId, at: now, reason } : { type: 'verify.failed', userId, at: now, reason, method });
    if (reservation.suspended) {
      if (events) emit({ type: 'lockout', userId, at: now, reason: 'suspended' });
      return { ok: false, reason };
    }
    if (reservation.lockedUntil !== null && reservation.lockedUntil > now) {
      if (events) emit({ type: 'lockout', userId, at: now, reason: 'locked', lockedUntil: reservation.lockedUntil });
      return { ok: false, reason, retryAfterMs: reservation.lockedUntil - now };
    }
    return { ok: false, reason };
  }

  /** The refusal of a reservation that was not allowed. */
  function refused(userId: string, now: number, reservation: AttemptReservation, method: MfaEvent['method']): MfaFailure<'locked' | 'suspended'> {
    const reason = reservation.suspended ? 'suspended' : 'locked';
    if (events) emit(method === undefined ? { type: 'verify.failed', userId, at: now, reason } : { type: 'verify.failed', userId, at: now, reason, method });
    return reservation.suspended || reservation.lockedUntil === null
      ? { ok: false, reason }
      : { ok: false, reason, retryAfterMs: Math.max(0, reservation.lockedUntil - now) };
  }

  // Domain-separated digests: the store sees neither tokens nor codes.
  const digest = (...parts: string[]): string => {
    const data = utf8ToBytes(JSON.stringify(parts));
    return bytesToHex(cfg.pepperBytes === undefined ? sha256(data) : hmac(sha256, cfg.pepperBytes, data));
  };
  const challengeId = (token: string): string => digest('mfakit/challenge-id', token);
  const codeId = (userId: string, purpose: string, destination: string): string => digest('mfakit/code-id', userId, purpose, destination);

  async function requiredFor(userId: string, now: number): Promise<{ required: boolean; graceEndsAt?: number; inGrace: boolean }> {
    const rule = typeof cfg.required === 'function' ? await cfg.required(userId) : cfg.required;
    if (rule === true) return { required: true, inGrace: false };
    if (rule === false || rule === undefined) return { required: false, inGrace: false };
    if (typeof rule === 'object' && rule !== null && Number.isFinite(rule.graceEndsAt)) {
      return { required: true, graceEndsAt: rule.graceEndsAt, inGrace: now < rule.graceEndsAt };
    }
    throw new MfaError('INVALID_CONFIG', `policy.required returned ${describe(rule)}; expected a boolean or { graceEndsAt: number }`);
  }

  return {
    async beginEnrollment(userId, options) {
      assertUserId(userId);
      if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object { account }, got ${describe(options)}`);
      const now = clock();
      const secret = generateSecret(cfg.random ? { random: cfg.random } : {});
      const uri = buildOtpauthUri({ issuer: cfg.issuer, account: options.account, secret, ...cfg.uri });
      const bytes = decodeSecret(secret);
      const sealed = await sealer.seal(userId, bytes);
      bytes.fill(0);
      const expiresAt = now + cfg.enrollmentTtlMs;
      const record: FactorRecord = { userId, state: 'pending', secret: sealed, createdAt: now, expiresAt, lastStep: -1 };
      if (!(await call('putPendingFactor', () => store.putPendingFactor(record)))) {
        throw new MfaError('ALREADY_ENROLLED', 'the user already has an active factor; disable or reset it first');
      }
      emit({ type: 'enrollment.started', userId, at: now });
      return { secret, uri, expiresAt };
    },

    async confirmEnrollment(userId, code) {
      assertUserId(userId);
      const now = clock();
      const value = parseToken(code, cfg.digits);
      if (value < 0) return { ok: false, reason: 'malformed' };
      const factor = await call('getFactor', () => store.getFactor(userId));
      if (factor === null || factor.state !== 'pending') return { ok: false, reason: 'not-enrolled' };
      if (factor.expiresAt === null || factor.expiresAt <= now) return { ok: false, reason: 'expired' };
      const { secret } = await sealer.open(userId, factor.secret);
      // The same budget as sign-in: a confirmation hands out recovery codes, so it must not be guessable.
      let reservation: AttemptReservation;
      try {
        reservation = await call('reserveAttempt', () => store.reserveAttempt(userId, now, throttle));
      } catch (err) {
        secret.fill(0);
        throw err;
      }
      if (!reservation.allowed) {
        secret.fill(0);
        return refused(userId, now, reservation, 'totp');
      }
      // No step was claimed before (afterStep -1), so a match is never REPLAYED.
      const step = matchTotp(secret, value, now, -1);
      if (step < 0) return failAfterReservation(userId, now, 'mismatch', reservation, 'totp');
      const { codes, hashes } = newRecoveryCodes();
      // One store step activates, claims the confirming step and stores the codes: no half-enrolled state.
      if (!(await call('activateFactor', () => store.activateFactor(userId, factor.secret, step, now, hashes)))) {
        return { ok: false, reason: 'expired' };
      }
      await call('clearFailures', () => store.clearFailures(userId));
      emit({ type: 'enrollment.confirmed', userId, at: now });
      return { ok: true, recoveryCodes: codes };
    },

    verify(userId, code) {
      // verifyUser checks the user id and reads the clock (as a rejection when they fail).
      return verifyUser(userId, code);
    },

    async regenerateRecoveryCodes(userId) {
      assertUserId(userId);
      const now = clock();
      const factor = await call('getFactor', () => store.getFactor(userId));
      if (factor === null || factor.state !== 'active') throw new MfaError('NOT_ENROLLED', 'recovery codes need an active factor');
      const { codes, hashes } = newRecoveryCodes();
      await call('replaceRecoveryCodes', () => store.replaceRecoveryCodes(userId, hashes));
      emit({ type: 'recovery.regenerated', userId, at: now });
      return codes;
    },

    async disable(userId) {
      assertUserId(userId);
      const now = clock();
      const existed = await call('deleteUser', () => store.deleteUser(userId));
      if (existed) emit({ type: 'mfa.disabled', userId, at: now });
      return existed;
    },

    async reset(userId, options) {
      assertUserId(userId);
      if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object { actor, reason }, got ${describe(options)}`);
      if (typeof options.actor !== 'string' || options.actor.length === 0) throw new TypeError('actor must be a non-empty string naming who resets');
      if (typeof options.reason !== 'string') throw new TypeError(`reason must be a string, got ${describe(options.reason)}`);
      const now = clock();
      const existed = await call('deleteUser', () => store.deleteUser(userId));
      emit({ type: 'mfa.reset', userId, at: now, actor: options.actor, reason: options.reason });
      return existed;
    },

    async status(userId) {
      assertUserId(userId);
      const now = clock();
      const [factor, attempts, remaining, policy] = await Promise.all([
        call('getFactor', () => store.getFactor(userId)),
        call('getAttempts', () => store.getAttempts(userId)),
        call('countRecoveryCodes', () => store.countRecoveryCodes(userId)),
        requiredFor(userId, now),
      ]);
      let state: MfaStatus['state'] = 'none';
      if (factor?.state === 'active') state = attempts.failures >= throttle.suspendAfter ? 'suspended' : 'active';
      else if (factor?.state === 'pending' && factor.expiresAt !== null && factor.expiresAt > now) state = 'pending';
      const enrolled = state === 'active' || state === 'suspended';
      const status: MfaStatus = {
        state,
        required: policy.required,
        mustEnroll: policy.required && !enrolled && !policy.inGrace,
        recoveryCodesRemaining: enrolled ? remaining : 0,
      };
      if (policy.graceEndsAt !== undefined && !enrolled) status.graceEndsAt = policy.graceEndsAt;
      if (enrolled && attempts.lockedUntil !== null && attempts.lockedUntil > now) status.lockedUntil = attempts.lockedUntil;
      return status;
    },

    async createChallenge(userId) {
      assertUserId(userId);
      const now = clock();
      const bytes = new Uint8Array(32);
      fillRandom(bytes, cfg.random);
      const token = toBase64Url(bytes);
      bytes.fill(0);
      const id = challengeId(token);
      const expiresAt = now + CHALLENGE_TTL_MS;
      const record = { userId, purpose: SIGN_IN, digest: id, destination: '', createdAt: now, expiresAt, attemptsLeft: CHALLENGE_ATTEMPTS };
      await call('putChallenge', () => store.putChallenge(id, record, 0));
      return { token, expiresAt };
    },

    async verifyChallenge(token, code) {
      const now = clock();
      if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
      if (parseToken(code, cfg.digits) < 0 && normalizeRecoveryCode(code as string) === null) return { ok: false, reason: 'malformed' };
      const id = challengeId(token);
      // Taking the challenge out for the length of one check means concurrent
      // checks with one token cannot multiply its attempts; a failed check puts it back.
      const taken = await call('consumeChallenge', () => store.consumeChallenge(id, SIGN_IN, id, now));
      if (!taken.ok) return { ok: false, reason: 'expired' };
      const { record } = taken;
      let result: MfaVerifyResult;
      try {
        result = await verifyUser(record.userId, code, now);
      } catch (err) {
        // A server-side failure is not the client's attempt: give the token back if the store lets us.
        await Promise.resolve()
          .then(() => store.putChallenge(id, record, 0))
          .catch(() => false);
        throw err;
      }
      if (result.ok) return { ...result, userId: record.userId };
      const spent = result.reason === 'mismatch' || result.reason === 'replayed' ? 1 : 0;
      const keep = result.reason !== 'not-enrolled' && result.reason !== 'suspended' && record.attemptsLeft - spent > 0;
      if (keep) await call('putChallenge', () => store.putChallenge(id, { ...record, attemptsLeft: record.attemptsLeft - spent }, 0));
      return result;
    },

    async sendCode(userId, options) {
      assertUserId(userId);
      const { purpose, destination, send } = assertCodeOptions(options, true);
      const now = clock();
      const code = randomString(CODE_DIGITS, '0123456789', cfg.random);
      const id = codeId(userId, purpose, destination);
      const expiresAt = now + CODE_TTL_MS;
      const record = { userId, purpose, digest: digest('mfakit/code', id, code), destination, createdAt: now, expiresAt, attemptsLeft: CHALLENGE_ATTEMPTS };
      if (!(await call('putChallenge', () => store.putChallenge(id, record, CODE_COOLDOWN_MS)))) return { ok: false, reason: 'cooldown' };
      try {
        await send({ to: destination, code, purpose, expiresAt });
      } catch (err) {
        // Undelivered: withdraw it so the user can ask again at once.
        await call('deleteChallenge', () => store.deleteChallenge(id));
        throw err;
      }
      return { ok: true, expiresAt };
    },

    async verifyCode(userId, options) {
      assertUserId(userId);
      const { purpose, destination } = assertCodeOptions(options, false);
      const now = clock();
      const value = parseToken(options.code, CODE_DIGITS);
      if (value < 0) return { ok: false, reason: 'malformed' };
      const reservation = await call('reserveAttempt', () => store.reserveAttempt(userId, now, throttle));
      if (!reservation.allowed) return refused(userId, now, reservation, 'code');
      const id = codeId(userId, purpose, destination);
      const typed = formatCode(value, CODE_DIGITS);
      const r = await call('consumeChallenge', () => store.consumeChallenge(id, purpose, digest('mfakit/code', id, typed), now));
      if (r.ok) {
        // The budget is not cleared: whoever controls a destination being verified could
        // otherwise reset the TOTP lock and the count towards suspension at will.
        if (events) emit({ type: 'verify.succeeded', userId, at: now, method: 'code' });
        return { ok: true };
      }
      if (r.reason === 'mismatch') return { ...failAfterReservation(userId, now, 'mismatch', reservation, 'code'), attemptsLeft: r.attemptsLeft };
      return failAfterReservation(userId, now, 'expired', reservation, 'code');
    },
  };
}

function resolveConfig(opts: CreateMfaOptions) {
  if (typeof opts !== 'object' || opts === null) throw invalid(`createMfa expects an options object, got ${describe(opts)}`);
  const store = opts.store as unknown as Record<string, unknown> | null | undefined;
  if (typeof store !== 'object' || store === null) throw invalid('store is required (an MfaStore such as MemoryStore)');
  const missing = STORE_METHODS.filter((m) => typeof store[m] !== 'function');
  if (missing.length > 0) throw invalid(`store is missing MfaStore methods: ${missing.join(', ')}`);
  if (typeof opts.issuer !== 'string' || opts.issuer.trim() === '' || opts.issuer.includes(':')) {
    throw invalid('issuer must be a non-empty string without a colon');
  }
  if (opts.allowPlaintextSecrets !== undefined && typeof opts.allowPlaintextSecrets !== 'boolean') {
    throw invalid('allowPlaintextSecrets must be a boolean');
  }
  const secretCacheSize = opts.secretCacheSize ?? 1000;
  if (!Number.isSafeInteger(secretCacheSize) || secretCacheSize < 0 || secretCacheSize > 1_000_000) {
    throw invalid('secretCacheSize must be an integer between 0 and 1000000');
  }
  const sealer = createSealer(opts.secretKeys, opts.allowPlaintextSecrets === true, secretCacheSize);

  const pepper = opts.pepper;
  if (pepper !== undefined && !((typeof pepper === 'string' || pepper instanceof Uint8Array) && pepper.length > 0)) {
    throw invalid('pepper must be a non-empty string or Uint8Array');
  }

  const policy = opts.policy ?? {};
  if (typeof policy !== 'object' || policy === null) throw invalid('policy must be an object');
  const required = policy.required ?? false;
  if (!(typeof required === 'boolean' || typeof required === 'function' || (typeof required === 'object' && required !== null && Number.isFinite(required.graceEndsAt)))) {
    throw invalid('policy.required must be a boolean, { graceEndsAt: number } or a function of the user id');
  }
  const throttle: ThrottlePolicy = { ...DEFAULT_THROTTLE, ...policy.throttle };
  for (const key of Object.keys(DEFAULT_THROTTLE) as (keyof ThrottlePolicy)[]) {
    if (!Number.isSafeInteger(throttle[key]) || throttle[key] < 1) throw invalid(`policy.throttle.${key} must be a positive integer`);
  }
  if (throttle.maxLockMs < throttle.baseLockMs) throw invalid('policy.throttle.maxLockMs must be at least baseLockMs');
  // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account.
  if (throttle.suspendAfter > 100 || throttle.suspendAfter < throttle.freeFailures) {
    throw invalid('policy.throttle.suspendAfter must be between freeFailures and 100 (NIST SP 800-63B §5.2.2)');
  }

  const t = opts.totp ?? {};
  let otp, step, window;
  try {
    otp = resolveOtp({ ...(t.algorithm === undefined ? {} : { algorithm: t.algorithm }), ...(t.digits === undefined ? {} : { digits: t.digits }) });
    step = resolveTimeStep(t.period === undefined ? {} : { period: t.period });
    window = resolveWindow(t.window, 'totp.window', 1);
  } catch (cause) {
    throw new MfaError('INVALID_CONFIG', `totp: ${(cause as Error).message}`, { cause });
  }
  const enrollmentTtlMs = opts.enrollmentTtlMs ?? 900_000;
  if (!Number.isSafeInteger(enrollmentTtlMs) || enrollmentTtlMs < 60_000 || enrollmentTtlMs > 86_400_000) {
    throw invalid('enrollmentTtlMs must be an integer between 60000 (1 min) and 86400000 (24 h)');
  }
  const recoveryCodeCount = opts.recoveryCodeCount ?? 10;
  if (!Number.isSafeInteger(recoveryCodeCount) || recoveryCodeCount < 1 || recoveryCodeCount > 100) {
    throw invalid('recoveryCodeCount must be an integer between 1 and 100');
  }
  for (const key of ['now', 'random', 'onEvent'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'function') throw invalid(`${key} must be a function`);
  }
  const now = opts.now ?? Date.now;
  const clock = (): number => {
    const value = now();
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`the now() option must return a finite number, got ${describe(value)}`);
    return value;
  };
  const onEvent = opts.onEvent;
  // Without a sink the flows skip building event objects altogether.
  const events = onEvent !== undefined;
  const emit = (event: MfaEvent): void => {
    if (onEvent === undefined) return;
    try {
      const r = onEvent(event) as unknown;
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // An audit sink failing must not turn a sign-in into an error.
    }
  };

  return {
    store: opts.store,
    issuer: opts.issuer,
    sealer,
    pepper,
    pepperBytes: typeof pepper === 'string' ? utf8ToBytes(pepper) : pepper,
    required,
    throttle,
    digits: otp.digits,
    // Resolved once: a check reads these instead of re-validating options per code.
    totp: { algorithm: otp.algorithm, digits: otp.digits, period: step.period, past: window.past, future: window.future, mod: POW10[otp.digits] as number },
    uri: { algorithm: otp.algorithm, digits: otp.digits, period: step.period },
    enrollmentTtlMs,
    recoveryCodeCount,
    random: opts.random,
    clock,
    emit,
    events,
  };
}

function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID) {
    throw new TypeError(`userId must be a non-empty string of at most ${MAX_USER_ID} characters, got ${typeof userId === 'string' ? `${userId.length} characters` : describe(userId)}`);
  }
}

const invalid = (message: string): MfaError => new MfaError('INVALID_CONFIG', message);

const MAX_CODE_FIELD = 1024;

function assertCodeOptions<Send extends boolean>(options: unknown, needsSend: Send): { purpose: string; destination: string; send: Send extends true ? SendCodeOptions['send'] : undefined } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { purpose, destination, send } = options as Partial<SendCodeOptions>;
  if (typeof purpose !== 'string' || purpose.length === 0 || purpose.length > MAX_CODE_FIELD) throw new TypeError('purpose must be a non-empty string');
  if (typeof destination !== 'string' || destination.length === 0 || destination.length > MAX_CODE_FIELD) throw new TypeError('destination must be a non-empty string');
  if (needsSend && typeof send !== 'function') throw new TypeError(`send must be a function, got ${describe(send)}`);
  return { purpose, destination, send: send as never };
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
