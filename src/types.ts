// Public types of the stateful layer (createMfa): options, results and events.
import type { TotpWindow } from './core/totp.js';
import type { Algorithm } from './internal/hmac.js';
import type { RandomSource } from './internal/random.js';
import type { MfaStore, StoreImplementation } from './store/types.js';

/**
 * The host's key ring for secrets at rest: `current` names the key new
 * secrets are sealed with; older ids stay in `keys` until no record uses them.
 */
export interface SecretKeyRing {
  /** Id of the key that seals new secrets; 1–64 characters of `A–Z a–z 0–9 _ -`. */
  current: string;
  /** Keys by id: 32 bytes, as a Uint8Array or base64 / base64url text. */
  keys: Record<string, Uint8Array | string>;
}

/**
 * Whether MFA is required for a user: `true`, `false`, or required with a
 * grace period that ends at `graceEndsAt` (ms since the epoch). Until then a
 * user without a factor may still sign in with the password alone, and the
 * host shows an "enable two-factor authentication" reminder.
 */
export type RequiredRule = boolean | { graceEndsAt: number };

/**
 * The attempt budget, one per user across every factor kind. An attempt is
 * counted before its code is checked; a correct answer gives it back.
 */
export interface ThrottleOptions {
  /**
   * Lock in ms after the n-th consecutive failure, indexed by n (the last
   * entry holds for every later failure); `locks[0]` must be 0.
   * @default [0, 0, 0, 0, 0, 30 s, 1 min, 2 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 16 h, 24 h]
   */
  locks?: readonly number[] | undefined;
  /** Consecutive failures after which the user's factors are suspended until a reset (NIST SP 800-63B §5.2.2: at most 100). @default 100 */
  suspendAfter?: number | undefined;
  /** Failures at which `throttle.warning` is emitted (and at each multiple). @default 10 */
  warnAfter?: number | undefined;
}

/** Organisation policy of {@link createMfa}. */
export interface MfaPolicy {
  /**
   * "Require MFA for all users": a rule for everyone, or a function deciding
   * per user (e.g. by organisation, role, or sign-up date plus a grace period).
   * @default false
   */
  required?: RequiredRule | ((userId: string) => RequiredRule | Promise<RequiredRule>) | undefined;
  /** Throttling numbers; see {@link ThrottleOptions} and docs/security.md. */
  throttle?: ThrottleOptions | undefined;
  /**
   * Re-verification before `removeFactor`, `disable`, `regenerateRecoveryCodes`,
   * `revokeAllDevices` and `viewRecoveryCodes` (OWASP MFA Cheat Sheet).
   * `'code'`: a user with an active factor must give a current code (`{ code }`),
   * else the call is refused with `reverify-required`. `'host'`: the host
   * re-verifies the user itself (a recent sign-in, a password prompt); a code
   * given is still checked. `reset` by an administrator never needs one.
   * @default 'code'
   */
  reverify?: 'code' | 'host' | undefined;
}

/** TOTP parameters of the factors {@link createMfa} enrols. Most authenticator apps support only the defaults. */
export interface MfaTotpOptions {
  /** @default 'SHA1' */
  algorithm?: Algorithm | undefined;
  /** @default 6 */
  digits?: number | undefined;
  /** Seconds per step. @default 30 */
  period?: number | undefined;
  /** Steps accepted either side of the current one (RFC 6238 §5.2). @default 1 */
  window?: TotpWindow | undefined;
}

/** A credential as the relying party is given it: id, COSE public key, transports. */
export interface PasskeyCredential {
  /** Credential id, base64url. */
  id: string;
  /** The COSE-encoded public key. */
  publicKey: Uint8Array;
  transports: string[];
}

/**
 * The WebAuthn relying party the flows use for passkeys: option generation
 * and response verification. `mfakit/webauthn` makes one on
 * `@simplewebauthn/server`; the flows keep the challenges, the throttling,
 * the factor records and the counters.
 */
export interface PasskeyRelyingParty {
  /** The relying-party id, a registrable domain such as `example.com`. */
  readonly rpId: string;
  /** Options for `navigator.credentials.create()` (as JSON). */
  registrationOptions(opts: { challenge: Uint8Array; userHandle: Uint8Array; userName: string; exclude: readonly { id: string; transports: string[] }[] }): Promise<object>;
  /** The new credential when `response` is a valid registration for `challenge` (base64url) from an allowed origin; `null` otherwise. */
  verifyRegistration(response: object, challenge: string): Promise<{ credential: PasskeyCredential; counter: number } | null>;
  /** Options for `navigator.credentials.get()` (as JSON). */
  authenticationOptions(opts: { challenge: Uint8Array; allow: readonly { id: string; transports: string[] }[] }): Promise<object>;
  /** The signature count the authenticator reported when `response` is a valid assertion by `credential` for `challenge`; `null` otherwise. */
  verifyAuthentication(response: object, challenge: string, credential: PasskeyCredential): Promise<{ counter: number } | null>;
}

/** Options of {@link Mfa.beginPasskeyRegistration}. */
export interface BeginPasskeyRegistrationOptions {
  /** The name the browser shows for the account, e.g. the e-mail address. */
  userName: string;
  /** The name of this passkey on the settings page, 1–64 characters. @default 'Passkey' */
  label?: string | undefined;
}

/** Result of {@link Mfa.beginPasskeyRegistration}: hand `options` to `navigator.credentials.create({ publicKey })`. */
export interface BeginPasskeyRegistrationResult {
  factorId: string;
  /** `PublicKeyCredentialCreationOptionsJSON`. */
  options: object;
  expiresAt: number;
}

/** Result of {@link Mfa.beginPasskeySignIn}: hand `options` to `navigator.credentials.get({ publicKey })`. */
export interface BeginPasskeySignInResult {
  /** `PublicKeyCredentialRequestOptionsJSON`, allowing the user's passkeys. */
  options: object;
  expiresAt: number;
}

/** Recovery-code options of {@link createMfa}. */
export interface RecoveryCodeOptions {
  /** Codes per set (1–100). @default 10 */
  count?: number | undefined;
  /**
   * Also keep the set sealed with the key ring (AES-256-GCM, as TOTP secrets
   * are), so `viewRecoveryCodes` can show the codes still unused again.
   * Sign-in still checks digests only. Off, only digests are stored and a
   * lost set can only be replaced (docs/security.md).
   * @default false
   */
  viewable?: boolean | undefined;
}

/** Confirmation options of {@link createMfa}. */
export interface ConfirmOptions {
  /**
   * Codes needed to confirm an enrolment: 1, or 2 consecutive codes, which also
   * measures the authenticator's clock offset; the offset (at most ±2 steps)
   * becomes the centre of that factor's window (RFC 6238 §6).
   * @default 1
   */
  codes?: 1 | 2 | undefined;
}

/** Options of {@link createMfa}. */
export interface CreateMfaOptions {
  /** Where factors, recovery-code digests and attempts live: a store made by `defineStore` (every shipped store is). */
  store: MfaStore | StoreImplementation;
  /** Service name shown in authenticator apps; no colon. */
  issuer: string;
  /**
   * Key ring encrypting TOTP secrets at rest (AES-256-GCM). Required unless
   * `allowPlaintextSecrets` is true. Rotate by adding a key and pointing
   * `current` at it; records under older ids are re-encrypted when next used.
   */
  secretKeys?: SecretKeyRing | undefined;
  /**
   * DEVELOPMENT ONLY: store TOTP secrets unencrypted, instead of `secretKeys`
   * (passing both is `INVALID_CONFIG`). Anyone who can read the database can then
   * generate every user's codes.
   * @default false
   */
  allowPlaintextSecrets?: boolean | undefined;
  /**
   * How many prepared TOTP verifiers (opened secrets, keyed once) to keep in
   * memory, least recently used first out, so a sign-in needs no decryption
   * and no HMAC key schedule. The key ring is in the same memory, so this adds
   * nothing for an attacker who can read it; 0 disables.
   * @default 1000
   */
  secretCacheSize?: number | undefined;
  /** Host secret keying the recovery-code and e-mail-code digests; keep it outside the database. @default none (SHA-256) */
  pepper?: string | Uint8Array | undefined;
  /** Required-MFA rule and throttling numbers. */
  policy?: MfaPolicy | undefined;
  /** TOTP parameters. */
  totp?: MfaTotpOptions | undefined;
  /** How long an unconfirmed enrolment stays pending, in ms (1 min – 24 h). @default 900_000 */
  enrollmentTtlMs?: number | undefined;
  /** Live authenticators (active or pending) a user may have, 1–8 (AWS IAM allows 8). @default 8 */
  maxFactors?: number | undefined;
  /** Recovery codes: how many per set, and whether they can be shown again. */
  recoveryCodes?: RecoveryCodeOptions | undefined;
  /** How an enrolment is confirmed. */
  confirm?: ConfirmOptions | undefined;
  /**
   * Passkeys (WebAuthn) as a second factor, beside authenticator apps:
   * `webauthn({ rpId, rpName, origins })` from `mfakit/webauthn`. See docs/passkeys.md.
   * @default none: the passkey methods throw `INVALID_CONFIG`
   */
  passkeys?: PasskeyRelyingParty | undefined;
  /** The clock, ms since the epoch; fractions are rounded down. @default Date.now */
  now?: (() => number) | undefined;
  /** Fills a buffer with random bytes. @default crypto.getRandomValues */
  random?: RandomSource | undefined;
  /**
   * Receives audit events. Called synchronously without being awaited; an
   * exception or a rejected promise is ignored and never breaks a flow.
   */
  onEvent?: ((event: MfaEvent) => void | Promise<void>) | undefined;
}

/** What a sign-in code was checked as. */
export type VerifyMethod = 'totp' | 'recovery' | 'webauthn';

/** What any attempt was checked as, in events: a sign-in method or an e-mail/SMS code. */
export type AttemptMethod = VerifyMethod | 'code';

interface EventBase {
  userId: string;
  /** When it happened, ms since the epoch (the injected clock). */
  at: number;
}

/**
 * An audit event, discriminated by `type`; each type carries exactly its own
 * fields, and none ever carries a secret, a code, a token or a destination.
 */
export type MfaEvent =
  | (EventBase & { type: 'enrollment.started'; factorId: string })
  | (EventBase & { type: 'enrollment.confirmed'; factorId: string })
  | (EventBase & { type: 'factor.removed'; factorId: string })
  | (EventBase & { type: 'verify.succeeded'; method: AttemptMethod; factorId?: string })
  | (EventBase & { type: 'verify.failed'; reason: MfaFailureReason; method?: AttemptMethod })
  | (EventBase & { type: 'passkey.clone-suspected'; factorId: string })
  | (EventBase & { type: 'lockout'; reason: 'locked'; lockedUntil: number })
  | (EventBase & { type: 'lockout'; reason: 'suspended' })
  | (EventBase & { type: 'throttle.warning'; failures: number })
  | (EventBase & { type: 'recovery.used'; remaining: number })
  | (EventBase & { type: 'recovery.low'; remaining: number })
  | (EventBase & { type: 'recovery.regenerated' })
  | (EventBase & { type: 'device.trusted'; deviceId: string })
  | (EventBase & { type: 'device.revoked'; deviceId: string })
  | (EventBase & { type: 'device.revoked'; all: true })
  | (EventBase & { type: 'mfa.disabled' })
  | (EventBase & { type: 'mfa.reset'; actor: string; reason: string });

/** The `type` of an {@link MfaEvent}. */
export type MfaEventType = MfaEvent['type'];

/** Why an answer was refused. */
export type MfaFailureReason = 'mismatch' | 'malformed' | 'replayed' | 'locked' | 'suspended' | 'not-enrolled' | 'expired';

/**
 * A refusal; the one failure shape of every method. `retryAfterMs` is present
 * exactly when `reason` is `locked` (or `cooldown` for {@link SendCodeResult}).
 */
export type MfaFailure<R extends MfaFailureReason = MfaFailureReason> = R extends 'locked'
  ? { ok: false; reason: R; retryAfterMs: number }
  : { ok: false; reason: R };

/** Result of {@link Mfa.verify}. */
export type MfaVerifyResult =
  | { ok: true; method: 'totp'; factorId: string; remainingRecoveryCodes: number }
  | { ok: true; method: 'recovery'; remainingRecoveryCodes: number }
  | { ok: true; method: 'webauthn'; factorId: string; remainingRecoveryCodes: number }
  | MfaFailure;

/** Result of {@link Mfa.confirmEnrollment}: `recoveryCodes` with the user's first factor only. */
export type ConfirmEnrollmentResult =
  | { ok: true; factorId: string; recoveryCodes?: string[] }
  | MfaFailure<'mismatch' | 'malformed' | 'not-enrolled' | 'expired' | 'locked' | 'suspended'>;

/** Options of {@link Mfa.beginEnrollment}. */
export interface BeginEnrollmentOptions {
  /** The name the authenticator app shows, e.g. the e-mail address. */
  account: string;
  /** The name of this authenticator on the settings page, 1–64 characters. @default 'Authenticator app' */
  label?: string | undefined;
  /** Start over with a new secret even when this label's enrolment is still pending. @default false */
  restart?: boolean | undefined;
}

/** Result of {@link Mfa.beginEnrollment}. */
export interface BeginEnrollmentResult {
  /** The pending factor, to show on the settings page. */
  factorId: string;
  /** Base32 secret, for users who type it instead of scanning. Show it; never log it. */
  secret: string;
  /** `otpauth://` URI for the QR code. */
  uri: string;
  /** When the enrolment stops being confirmable, ms since the epoch. */
  expiresAt: number;
}

/** A factor as the settings page lists it: never its secret. */
export interface FactorInfo {
  id: string;
  kind: string;
  label: string;
  state: 'pending' | 'active';
  createdAt: number;
  lastUsedAt: number | null;
  /** Its secret is under 16 bytes (an imported legacy secret, RFC 4226 §4 R6): suggest enrolling a new one. */
  weakSecret: boolean;
  /** For a pending factor: when it stops being confirmable. */
  expiresAt?: number;
}

/** Options of {@link Mfa.importFactor}: an authenticator the user already has, from another system. */
export interface ImportFactorOptions {
  /** The shared secret: base32 text (as otpauth URIs and most exports carry it) or bytes. Any non-empty length; under 16 bytes is flagged weak. */
  secret: string | Uint8Array;
  /** @default 'SHA1' */
  algorithm?: Algorithm | undefined;
  /** @default 6 */
  digits?: number | undefined;
  /** Seconds per step. @default 30 */
  period?: number | undefined;
  /** The last step the old system accepted, so codes already used stay used. @default none */
  lastStep?: number | undefined;
  /** The name on the settings page, 1–64 characters. @default 'Imported authenticator' */
  label?: string | undefined;
}

/** Result of {@link Mfa.importFactor}. */
export interface ImportFactorResult {
  factorId: string;
  /** The secret is under 16 bytes. */
  weakSecret: boolean;
  /** A new set, when this is the user's first factor: hand them over once. */
  recoveryCodes?: string[];
}

/**
 * Re-verification of a change to the second factor (OWASP MFA Cheat Sheet:
 * require an existing factor to change factors). `code` is what the user typed:
 * a current code of any active authenticator, or a recovery code, checked
 * and spent like a sign-in answer.
 */
export interface ReverifyOptions {
  /** The user's current code; `undefined` is no code. */
  code?: unknown;
}

/**
 * A change refused by its re-verification: `reverify-required` (no code given
 * under policy `reverify: 'code'`), or what the sign-in pipeline answered the
 * code with.
 */
export type ReverifyFailure = { ok: false; reason: 'reverify-required' } | MfaFailure<'mismatch' | 'malformed' | 'replayed' | 'locked' | 'suspended'>;

/** Result of {@link Mfa.removeFactor}. */
export type RemoveFactorResult =
  | {
      ok: true;
      removed: boolean;
      /** It was the last active factor: MFA is now off for the user, as after {@link Mfa.disable}. */
      disabled: boolean;
    }
  | ReverifyFailure;

/** Result of {@link Mfa.regenerateRecoveryCodes}: the new set, and when it was made (for the downloaded file). */
export type RecoveryCodesResult = { ok: true; recoveryCodes: string[]; createdAt: number } | ReverifyFailure;

/**
 * Result of {@link Mfa.viewRecoveryCodes}: the codes still unused, and when
 * the set was made (`null` for a set stored before `viewable` was turned on,
 * which shows no codes).
 */
export type ViewRecoveryCodesResult = { ok: true; recoveryCodes: string[]; createdAt: number | null } | ReverifyFailure;

/** Result of {@link Mfa.disable}. */
export type DisableResult = { ok: true; /** A factor existed. */ disabled: boolean } | ReverifyFailure;

/** Result of {@link Mfa.revokeAllDevices}. */
export type RevokeAllDevicesResult = { ok: true; /** How many devices were trusted. */ revoked: number } | ReverifyFailure;

/** What the "two-factor authentication" settings page shows. */
export interface MfaStatus {
  /** `suspended`: too many consecutive failures; only {@link Mfa.reset} (or `disable`) clears it. */
  state: 'none' | 'pending' | 'active' | 'suspended';
  /**
   * The user has an active factor, so sign-in asks for the second factor
   * (`state` is `active` or `suspended`; a suspended user is refused there).
   */
  enrolled: boolean;
  /** The policy requires MFA for this user (grace period or not). */
  required: boolean;
  /** Required, not enrolled, and no grace left: send the user to enrolment before anything else. */
  mustEnroll: boolean;
  /** End of the grace period, when the rule has one and the user is not enrolled. */
  graceEndsAt?: number;
  /** The user's authenticators, active and pending. */
  factors: FactorInfo[];
  recoveryCodesRemaining: number;
  /** Set while a lock is in force. */
  lockedUntil?: number;
  /**
   * What the page should tell the user: `recovery-codes-low` (3 or fewer left:
   * offer a new set), `failed-attempts` (at least `warnAfter` consecutive
   * failures: someone may be guessing), `weak-secret` (an imported
   * authenticator's secret is under 16 bytes: offer to enrol a new one).
   */
  warnings: MfaWarning[];
}

/** A warning of {@link MfaStatus}. */
export type MfaWarning = 'recovery-codes-low' | 'failed-attempts' | 'weak-secret';

/** Options of {@link Mfa.rememberDevice}. */
export interface RememberDeviceOptions {
  /** What the user will recognise it by, 1–64 characters ("Firefox on Linux"). */
  label: string;
  /** How long it is trusted, 1 min – 400 days. @default 30 days */
  ttlMs?: number | undefined;
}

/** Result of {@link Mfa.rememberDevice}. */
export interface RememberDeviceResult {
  /** 256 random bits (base64url) for an HttpOnly, Secure, SameSite cookie; only its digest is stored. Never log it. */
  token: string;
  /** The device's id in `listDevices` (a digest, not the token). */
  deviceId: string;
  expiresAt: number;
}

/** Result of {@link Mfa.checkDevice}: `ok` means the second factor may be skipped. */
export type CheckDeviceResult = { ok: true; deviceId: string; expiresAt: number } | { ok: false; reason: 'malformed' | 'expired' };

/** A trusted device as the settings page lists it: never its token. */
export interface DeviceInfo {
  id: string;
  label: string;
  createdAt: number;
  /** When it last skipped the second factor. */
  lastSeenAt: number | null;
  expiresAt: number;
}

/** A user in the administrator's enrolment view. */
export interface EnrolledUserInfo {
  userId: string;
  /** Active authenticators. */
  factors: number;
  kinds: string[];
  lastUsedAt: number | null;
  /** Too many consecutive failures: only a reset helps. */
  suspended: boolean;
}

/** Result of {@link Mfa.listEnrolled}: pass `cursor` back for the next page; `null` at the end. */
export interface ListEnrolledResult {
  users: EnrolledUserInfo[];
  cursor: string | null;
}

/** Result of {@link Mfa.createChallenge}. */
export interface CreateChallengeResult {
  /** Opaque 256-bit token (base64url) for the client; only its digest is stored. */
  token: string;
  expiresAt: number;
}

/** Result of {@link Mfa.verifyChallenge}: on success, the user the challenge was created for. */
export type VerifyChallengeResult =
  | { ok: true; userId: string; method: 'totp'; factorId: string; remainingRecoveryCodes: number }
  | { ok: true; userId: string; method: 'recovery'; remainingRecoveryCodes: number }
  | { ok: true; userId: string; method: 'webauthn'; factorId: string; remainingRecoveryCodes: number }
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
  /** The e-mail address or phone number; a code only verifies for the same destination. It is never stored. */
  destination: string;
  /** Delivers the code (mail, SMS). When it throws, the code is withdrawn and the error propagates. */
  send: (message: OutgoingCode) => void | Promise<void>;
}

/** Result of {@link Mfa.sendCode}. `cooldown`: a code was sent less than 60 s ago; the earlier one stays valid. */
export type SendCodeResult = { ok: true; expiresAt: number } | { ok: false; reason: 'cooldown'; retryAfterMs: number };

/** Options of {@link Mfa.verifyCode}. */
export interface VerifyCodeOptions {
  purpose: string;
  destination: string;
  /** What the user typed (any value; never throws on it). */
  code: unknown;
}

/** Result of {@link Mfa.verifyCode}. `attemptsLeft` on a mismatch says how many tries this code has left. */
export type VerifyCodeResult =
  | { ok: true }
  | { ok: false; reason: 'mismatch'; attemptsLeft: number }
  | MfaFailure<'malformed' | 'expired' | 'locked' | 'suspended'>;

/** The stateful MFA flows returned by {@link createMfa}. */
export interface Mfa {
  /**
   * Starts an enrolment of an authenticator app: a new secret, pending for
   * `enrollmentTtlMs` (15 min). Asked again for the same label while it is
   * pending, it returns the same secret and URI (a reload must not invalidate
   * a QR code already scanned) unless `restart: true`.
   * @param userId - the host's user id
   * @param opts - `account` (shown in the app), `label` (shown on the settings page), `restart`
   * @returns `{ factorId, secret, uri, expiresAt }`: render `uri` as a QR code and show `secret` for typing
   * @throws {MfaError} `FACTOR_LIMIT` when the user has `maxFactors` authenticators; `STORE_UNAVAILABLE`
   * @throws {TypeError} on a bad user id, account or label
   * @example
   * const { uri, secret } = await mfa.beginEnrollment(user.id, { account: user.email, label: 'iPhone' });
   */
  beginEnrollment(userId: string, opts: BeginEnrollmentOptions): Promise<BeginEnrollmentResult>;
  /**
   * Confirms a pending enrolment with its first code (checked against each of
   * the user's pending enrolments). In one store step the factor becomes
   * active, the code's step is claimed, failures are cleared and, for the
   * user's first factor, the recovery codes are stored.
   * @param userId - the host's user id
   * @param code - what the user typed (any value; never throws on it)
   * @returns `{ ok: true, factorId, recoveryCodes? }` (show the codes once) or `{ ok: false, reason }`
   * @throws {MfaError} `STORE_UNAVAILABLE`, `SECRET_DECRYPTION_FAILED`
   * @example
   * const r = await mfa.confirmEnrollment(user.id, req.body.code);
   * if (r.ok && r.recoveryCodes) showOnce(r.recoveryCodes);
   */
  confirmEnrollment(userId: string, code: unknown): Promise<ConfirmEnrollmentResult>;
  /**
   * Starts adding a passkey: a pending factor (15 minutes, as an enrolment)
   * and the options for `navigator.credentials.create({ publicKey })`. The
   * user's passkeys are excluded, so one authenticator is not added twice.
   * @param userId - the signed-in user
   * @param opts - `userName` (shown by the browser), `label` (settings page)
   * @returns `{ factorId, options, expiresAt }`
   * @throws {MfaError} `INVALID_CONFIG` without `passkeys`; `FACTOR_LIMIT`; `STORE_UNAVAILABLE`
   * @example
   * const { options } = await mfa.beginPasskeyRegistration(user.id, { userName: user.email, label: 'MacBook' });
   * return c.json(options); // the page calls navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
   */
  beginPasskeyRegistration(userId: string, opts: BeginPasskeyRegistrationOptions): Promise<BeginPasskeyRegistrationResult>;
  /**
   * Finishes adding a passkey with the browser's response (`credential.toJSON()`):
   * checked against the user's pending passkey registrations through the
   * attempt pipeline, like a first code. Recovery codes come with the user's
   * first factor, whatever its kind.
   * @param userId - the signed-in user
   * @param response - the `RegistrationResponseJSON` the page posted (any value; never throws on it)
   * @returns `{ ok: true, factorId, recoveryCodes? }` or `{ ok: false, reason }`
   * @throws {MfaError} `INVALID_CONFIG` without `passkeys`; `STORE_UNAVAILABLE`
   * @example
   * const r = await mfa.finishPasskeyRegistration(user.id, await c.req.json());
   */
  finishPasskeyRegistration(userId: string, response: unknown): Promise<ConfirmEnrollmentResult>;
  /**
   * The second step with a passkey: a single-use challenge (5 minutes) for the
   * user's passkeys and the options for `navigator.credentials.get({ publicKey })`.
   * The assertion the browser returns goes to {@link Mfa.verify} (or
   * `verifyChallenge`) like a code.
   * @param userId - the user whose password was just checked
   * @returns `{ options, expiresAt }`
   * @throws {MfaError} `INVALID_CONFIG` without `passkeys` or on a store without
   *   `supports.oneTime`; `NOT_ENROLLED` when the user has no passkey; `STORE_UNAVAILABLE`
   * @example
   * const { options } = await mfa.beginPasskeySignIn(session.userId);
   */
  beginPasskeySignIn(userId: string): Promise<BeginPasskeySignInResult>;
  /**
   * Checks a sign-in code: digits are checked against every active
   * authenticator, anything that reads as a recovery code is one, and a
   * passkey assertion is checked against the user's passkeys. Malformed
   * input costs nothing; any other attempt is counted before it is checked,
   * and a correct one gives it back.
   * @param userId - the host's user id, after the password was checked
   * @param code - what the user typed, or a passkey assertion (`credential.toJSON()` of `navigator.credentials.get()`); any value, never throws on it
   * @returns `{ ok: true, method, factorId?, remainingRecoveryCodes }` or `{ ok: false, reason, retryAfterMs? }`
   * @throws {MfaError} `STORE_UNAVAILABLE`, `SECRET_DECRYPTION_FAILED`
   * @example
   * const r = await mfa.verify(user.id, req.body.code);
   * if (!r.ok && r.reason === 'locked') res.set('Retry-After', String(Math.ceil(r.retryAfterMs / 1000)));
   */
  verify(userId: string, code: unknown): Promise<MfaVerifyResult>;
  /**
   * Moves an authenticator the user already has from another system (speakeasy
   * or otplib data, an `otpauth://` URI, an export): it becomes an active factor
   * without a confirmation code. Weak secrets (under 16 bytes) are accepted and
   * flagged. With the user's first factor, recovery codes are issued.
   * See docs/migration.md.
   * @param userId - the host's user id
   * @param opts - `secret`, and `algorithm`, `digits`, `period`, `lastStep`, `label` as the old system used them
   * @returns `{ factorId, weakSecret, recoveryCodes? }`
   * @throws {MfaError} `INVALID_SECRET` on a secret that is not base32 or empty; `FACTOR_LIMIT`; `STORE_UNAVAILABLE`
   * @throws {TypeError|RangeError} on a bad option
   * @example
   * const { secret, algorithm, digits, period } = parseOtpauthUri(row.otpauth_uri);
   * await mfa.importFactor(row.user_id, { secret, algorithm, digits, period, lastStep: row.last_step });
   */
  importFactor(userId: string, opts: ImportFactorOptions): Promise<ImportFactorResult>;
  /**
   * The user's authenticators, active and pending (never a secret).
   * @param userId - the host's user id
   * @returns the factors, oldest first
   * @throws {MfaError} `STORE_UNAVAILABLE`
   * @example
   * for (const f of await mfa.listFactors(user.id)) console.log(f.label, f.lastUsedAt);
   */
  listFactors(userId: string): Promise<FactorInfo[]>;
  /**
   * Renames an authenticator.
   * @param userId - the host's user id
   * @param factorId - from `listFactors`
   * @param label - 1–64 characters
   * @returns whether the factor exists
   * @throws {MfaError} `STORE_UNAVAILABLE`; {@link TypeError} on a bad label
   * @example
   * await mfa.renameFactor(user.id, factorId, 'Work phone');
   */
  renameFactor(userId: string, factorId: string, label: string): Promise<boolean>;
  /**
   * Removes an authenticator. Removing the last active one is {@link Mfa.disable}:
   * recovery codes, attempts and trusted devices go too. Re-verified (policy
   * `reverify`): a current code of any authenticator, or a recovery code;
   * cancelling an enrolment that is still pending needs none.
   * @param userId - the host's user id
   * @param factorId - from `listFactors`
   * @param opts - `{ code }`: the user's current code
   * @returns `{ ok: true, removed, disabled }` or `{ ok: false, reason }` (`reverify-required`, `mismatch`, `locked`, …)
   * @throws {MfaError} `STORE_UNAVAILABLE`; {@link TypeError} on a bad factor id or options
   * @example
   * const r = await mfa.removeFactor(user.id, factorId, { code: body.code });
   * if (!r.ok) return c.json(r, httpStatusFor(r).status);
   */
  removeFactor(userId: string, factorId: string, opts?: ReverifyOptions): Promise<RemoveFactorResult>;
  /**
   * Replaces the user's recovery codes with a new set; the old set stops
   * working at once. Re-verified (policy `reverify`).
   * @param userId - the host's user id
   * @param opts - `{ code }`: the user's current code (a code of the old set works too)
   * @returns `{ ok: true, recoveryCodes, createdAt }` (show them once) or `{ ok: false, reason }`
   * @throws {MfaError} `NOT_ENROLLED` without an active factor; `STORE_UNAVAILABLE`
   * @example
   * const r = await mfa.regenerateRecoveryCodes(user.id, { code: body.code });
   * if (r.ok) show(formatRecoveryCodesText(r.recoveryCodes, { issuer: 'ACME', account: user.email }));
   */
  regenerateRecoveryCodes(userId: string, opts?: ReverifyOptions): Promise<RecoveryCodesResult>;
  /**
   * The user's recovery codes still unused, shown again ("View recovery
   * codes"). Only with `recoveryCodes: { viewable: true }`, which also keeps
   * the set sealed with the key ring (docs/security.md says what that trades
   * away). Re-verified (policy `reverify`); a recovery code given to
   * re-verify is spent, so it is not among the codes shown.
   * @param userId - the host's user id
   * @param opts - `{ code }`: the user's current code
   * @returns `{ ok: true, recoveryCodes, createdAt }` (no codes when the user has
   *   none left, or none were kept viewable) or `{ ok: false, reason }`
   * @throws {MfaError} `INVALID_CONFIG` without `recoveryCodes.viewable`; `STORE_UNAVAILABLE`;
   *   `SECRET_DECRYPTION_FAILED` when the sealed set cannot be opened with the key ring
   * @example
   * const r = await mfa.viewRecoveryCodes(user.id, { code: body.code });
   */
  viewRecoveryCodes(userId: string, opts?: ReverifyOptions): Promise<ViewRecoveryCodesResult>;
  /**
   * Removes every factor, the recovery codes, attempts, e-mail codes and
   * trusted devices. Re-verified (policy `reverify`); the host also re-checks
   * the password first.
   * @param userId - the host's user id
   * @param opts - `{ code }`: the user's current code
   * @returns `{ ok: true, disabled }` (whether a factor existed) or `{ ok: false, reason }`
   * @throws {MfaError} `STORE_UNAVAILABLE`
   * @example
   * if (await checkPassword(user, body.password)) r = await mfa.disable(user.id, { code: body.code });
   */
  disable(userId: string, opts?: ReverifyOptions): Promise<DisableResult>;
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
   * What the settings page shows: state, policy, factors, codes left, lock; one store read.
   * @param userId - the host's user id
   * @returns see {@link MfaStatus}
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` when a `policy.required` function returns something else than a rule
   * @example
   * const s = await mfa.status(user.id);
   * if (s.mustEnroll) return res.redirect('/settings/2fa');
   */
  status(userId: string): Promise<MfaStatus>;
  /**
   * "Trust this browser": a token for the host's cookie that lets `checkDevice`
   * skip the second factor until it expires or is revoked. Call it after a
   * successful second factor only.
   * @param userId - the user who just signed in with a second factor
   * @param opts - `label`, `ttlMs` (30 days by default)
   * @returns `{ token, deviceId, expiresAt }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` on a store without `supports.devices`
   * @throws {TypeError|RangeError} on a bad label or ttlMs
   * @example
   * const { token, expiresAt } = await mfa.rememberDevice(user.id, { label: 'Firefox on Linux' });
   * setCookie(c, 'mfa_device', token, { httpOnly: true, secure: true, sameSite: 'Lax', expires: new Date(expiresAt) });
   */
  rememberDevice(userId: string, opts: RememberDeviceOptions): Promise<RememberDeviceResult>;
  /**
   * Whether a device token from the cookie lets this user skip the second
   * factor. An unknown, expired or revoked token is `expired` and costs no
   * attempt (256 bits cannot be guessed); a malformed one is answered without
   * a store call. A token never works for another user.
   * @param userId - the user whose password was just checked
   * @param token - the cookie's value (any value; never throws on it)
   * @returns `{ ok: true, deviceId, expiresAt }` or `{ ok: false, reason }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` on a store without `supports.devices`
   * @example
   * if ((await mfa.checkDevice(user.id, getCookie(c, 'mfa_device'))).ok) return signIn(user);
   */
  checkDevice(userId: string, token: unknown): Promise<CheckDeviceResult>;
  /**
   * The user's trusted devices (never a token), oldest first.
   * @param userId - the host's user id
   * @returns the devices still trusted
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` on a store without `supports.devices`
   * @example
   * const devices = await mfa.listDevices(user.id);
   */
  listDevices(userId: string): Promise<DeviceInfo[]>;
  /**
   * Stops trusting one device.
   * @param userId - the host's user id
   * @param deviceId - from `listDevices`
   * @returns whether it was trusted
   * @throws {MfaError} `STORE_UNAVAILABLE`; {@link TypeError} on a bad id
   * @example
   * await mfa.revokeDevice(user.id, deviceId);
   */
  revokeDevice(userId: string, deviceId: string): Promise<boolean>;
  /**
   * Stops trusting every device of the user. `disable`, `reset` and removing
   * the last authenticator do it too. Re-verified (policy `reverify`); after a
   * password change or reset the host has re-verified the user itself, so it
   * calls this under policy `reverify: 'host'` or passes the code it asked for.
   * @param userId - the host's user id
   * @param opts - `{ code }`: the user's current code
   * @returns `{ ok: true, revoked }` (how many devices there were) or `{ ok: false, reason }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` on a store without `supports.devices`
   * @example
   * const r = await mfa.revokeAllDevices(user.id, { code: body.code });
   */
  revokeAllDevices(userId: string, opts?: ReverifyOptions): Promise<RevokeAllDevicesResult>;
  /**
   * The administrator's view for "require MFA for everyone": users with an
   * active authenticator, in pages ordered by user id. With the host's own user
   * list it answers who has not enrolled yet.
   * @param opts - `cursor` from the previous page (or `null`), `limit` 1–1000 (100 by default)
   * @returns `{ users, cursor }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` on a store without `supports.listing`
   * @example
   * for (let cursor = null; ; ) { const page = await mfa.listEnrolled({ cursor }); …; if ((cursor = page.cursor) === null) break; }
   */
  listEnrolled(opts?: { cursor?: string | null | undefined; limit?: number | undefined }): Promise<ListEnrolledResult>;
  /**
   * How many users have an active authenticator.
   * @returns the count
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` on a store without `supports.listing`
   * @example
   * const enrolled = await mfa.countEnrolled();
   */
  countEnrolled(): Promise<number>;
  /**
   * Starts a pending second-factor step for an API: after the password, hand
   * the client a token; it comes back with a code to {@link Mfa.verifyChallenge}.
   * The token is 256 random bits, stored only as a digest, valid 5 minutes for 5 codes.
   * @param userId - the user whose password was just checked
   * @returns `{ token, expiresAt }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; `INVALID_CONFIG` when the store does not support one-time records
   * @example
   * const { token } = await mfa.createChallenge(user.id);
   * res.json({ mfaRequired: true, token });
   */
  createChallenge(userId: string): Promise<CreateChallengeResult>;
  /**
   * Completes a pending second-factor step: the token names the user, the code
   * is checked as {@link Mfa.verify} does (same budget, same replay guard).
   * Each code spends one of the token's tries; the first success consumes it.
   * An unknown, used or expired token is `expired`.
   * @param token - the token from `createChallenge` (any value; never throws on it)
   * @param code - a TOTP or recovery code (any value; never throws on it)
   * @returns `{ ok: true, userId, method, … }` or `{ ok: false, reason, retryAfterMs? }`
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
   * @returns `{ ok: true, expiresAt }` or `{ ok: false, reason: 'cooldown', retryAfterMs }`
   * @throws {MfaError} `STORE_UNAVAILABLE`; whatever `send` throws
   * @example
   * await mfa.sendCode(user.id, { purpose: 'email:verify', destination: email, send: ({ to, code }) => mailer.send(to, `Your code: ${code}`) });
   */
  sendCode(userId: string, opts: SendCodeOptions): Promise<SendCodeResult>;
  /**
   * Checks an e-mail/SMS code for the same user, purpose and destination. It
   * draws on the user's attempt budget like a sign-in code; a right code gives
   * its attempt back, and a code that was never sent (or expired) costs nothing.
   * @param userId - the user
   * @param opts - `purpose`, `destination`, `code`
   * @returns `{ ok: true }` or `{ ok: false, reason, retryAfterMs?, attemptsLeft? }`
   * @throws {MfaError} `STORE_UNAVAILABLE`
   * @example
   * const r = await mfa.verifyCode(user.id, { purpose: 'email:verify', destination: email, code: req.body.code });
   */
  verifyCode(userId: string, opts: VerifyCodeOptions): Promise<VerifyCodeResult>;
}
