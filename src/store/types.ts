/**
 * The storage contract of mfakit's stateful layer. Every method is ONE
 * linearizable step: it reads and writes in a single atomic operation (one
 * conditional SQL statement or transaction, one Lua script), so many app
 * servers may share one database without a read-then-write race. The flows
 * never read a value and write it back later.
 *
 * All times are milliseconds since the epoch, passed in by the caller: a store
 * never reads a clock of its own (expiry checks compare against `now`).
 * Any failure of the underlying database must reject the promise; the flows
 * turn that into `MfaError('STORE_UNAVAILABLE')` and never into a success.
 */

/** A user's TOTP factor as stored. */
export interface FactorRecord {
  userId: string;
  /** `pending` until the first code confirms it, then `active`. */
  state: 'pending' | 'active';
  /** The sealed (encrypted) secret, opaque to the store. */
  secret: string;
  /** When the factor was created (pending) or activated (active). */
  createdAt: number;
  /** Pending factors expire at this time; `null` once active. */
  expiresAt: number | null;
  /** The last TOTP step accepted for this user; -1 before any. */
  lastStep: number;
}

/** Throttling policy passed to {@link MfaStore.reserveAttempt}. */
export interface ThrottlePolicy {
  /** Failures allowed before the first lock. @default 5 */
  freeFailures: number;
  /** First lock duration in ms; doubles with each further failure. @default 30_000 */
  baseLockMs: number;
  /** Longest lock in ms. @default 900_000 */
  maxLockMs: number;
  /** Consecutive failures after which the factor is suspended until reset. @default 100 */
  suspendAfter: number;
}

/**
 * The answer of {@link MfaStore.reserveAttempt}.
 * - `allowed: true`: the attempt was counted (as if it failed) and may be checked now.
 * - `allowed: false`: nothing was counted; `lockedUntil` says until when, or `suspended` is true.
 */
export interface AttemptReservation {
  allowed: boolean;
  /** Consecutive failures after this reservation (including it when allowed). */
  failures: number;
  /** The lock in force after this reservation, or `null` when none. */
  lockedUntil: number | null;
  /** True when the failures reached `suspendAfter`: no attempt is allowed until the factor is deleted. */
  suspended: boolean;
}

/** Current throttling state for a user, for status pages. */
export interface AttemptState {
  failures: number;
  lockedUntil: number | null;
}

/** A one-time challenge: a pending sign-in step, or an e-mail/SMS code. */
export interface ChallengeRecord {
  userId: string;
  /** What the challenge is for, e.g. `'sign-in'` or `'email:verify'`; checked on consume. */
  purpose: string;
  /** Digest of the secret part (token or code); the store compares digests only. */
  digest: string;
  /** Where a code was sent, or '' for none; bound to the challenge. */
  destination: string;
  createdAt: number;
  expiresAt: number;
  /** Wrong answers still allowed. */
  attemptsLeft: number;
}

/** The answer of {@link MfaStore.consumeChallenge}. */
export type ChallengeConsumeResult =
  | { ok: true; record: ChallengeRecord }
  | { ok: false; reason: 'missing' | 'expired' | 'mismatch' | 'exhausted'; attemptsLeft: number };

/**
 * What every adapter implements. See docs/store-adapters.md for what "atomic"
 * means for each method, and run `runStoreConformance` from `mfakit/testing`.
 */
export interface MfaStore {
  /** The user's factor, or `null`. */
  getFactor(userId: string): Promise<FactorRecord | null>;

  /**
   * Stores `record` (state `pending`) unless the user has an `active` factor.
   * A previous pending factor is replaced. Returns false, changing nothing,
   * when an active factor exists.
   */
  putPendingFactor(record: FactorRecord): Promise<boolean>;

  /**
   * Atomically: when the factor is `pending`, holds secret `expectedSecret`
   * and `expiresAt > now`, make it `active` with `createdAt = now`,
   * `expiresAt = null`, `lastStep = step`, and replace the user's recovery
   * codes with `recoveryHashes`. Returns false, changing nothing, otherwise.
   */
  activateFactor(userId: string, expectedSecret: string, step: number, now: number, recoveryHashes: readonly string[]): Promise<boolean>;

  /**
   * Atomically replaces the sealed secret when it still equals `expectedSecret`
   * (compare-and-set; used to re-encrypt under a new key). Returns whether it did.
   */
  updateFactorSecret(userId: string, expectedSecret: string, newSecret: string): Promise<boolean>;

  /**
   * Deletes everything the store holds for the user: factor, recovery codes,
   * attempts and challenges. Returns whether a factor existed.
   */
  deleteUser(userId: string): Promise<boolean>;

  /**
   * Atomically sets `lastStep = step` when the factor is `active` and
   * `step > lastStep`. Returns true exactly once per step among concurrent callers.
   */
  claimStep(userId: string, step: number): Promise<boolean>;

  /**
   * Counts an attempt before the code is checked. In one step: if
   * `failures >= policy.suspendAfter` → not allowed, suspended; else if
   * `lockedUntil > now` → not allowed; else `failures += 1` and, when
   * `failures >= policy.freeFailures`, `lockedUntil = now + min(baseLockMs ·
   * 2^(failures − freeFailures), maxLockMs)`. Concurrent callers never
   * together get more than the budget allows.
   */
  reserveAttempt(userId: string, now: number, policy: ThrottlePolicy): Promise<AttemptReservation>;

  /** Resets failures and lock after a success. */
  clearFailures(userId: string): Promise<void>;

  /** The throttling state (zero failures and no lock when unknown). */
  getAttempts(userId: string): Promise<AttemptState>;

  /** Replaces the whole set of recovery-code digests in one step (an empty array deletes them). */
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;

  /** Removes `hash` from the user's set; true exactly once among concurrent callers. */
  consumeRecoveryCode(userId: string, hash: string): Promise<boolean>;

  /** How many recovery codes the user has left. */
  countRecoveryCodes(userId: string): Promise<number>;

  /**
   * Stores a challenge under `id`, replacing any with the same id, unless that
   * one is unexpired (`expiresAt > record.createdAt`) and was created less
   * than `cooldownMs` before `record.createdAt` (a resend too soon). Returns
   * whether it stored.
   */
  putChallenge(id: string, record: ChallengeRecord, cooldownMs: number): Promise<boolean>;

  /**
   * In one step: missing → `missing`; `expiresAt <= now` → deleted, `expired`;
   * `attemptsLeft <= 0` → `exhausted`; digest (and purpose) match → deleted,
   * `ok` with the record; otherwise `attemptsLeft -= 1`, `mismatch` (deleted
   * when it reaches 0). True exactly once among concurrent callers.
   */
  consumeChallenge(id: string, purpose: string, digest: string, now: number): Promise<ChallengeConsumeResult>;

  /** Deletes a challenge; returns whether it existed. */
  deleteChallenge(id: string): Promise<boolean>;
}
