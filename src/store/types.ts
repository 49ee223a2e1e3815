/**
 * MfaStore v2: the storage contract of mfakit's stateful layer.
 *
 * 1. Every method is ONE linearizable step (one SQL statement or transaction,
 *    one Lua script), so many app servers may share one database. The flows
 *    never read a value to write it back later.
 * 2. The decisive write carries its consequences: accepting a counter clears
 *    the failures and returns the recovery codes left; consuming a recovery
 *    code does the same; activating a factor claims its counter, clears the
 *    failures and stores the first recovery codes.
 * 3. Every record belongs to one user and every method touches one user's
 *    records only; the one exception is the sign-in challenge, a single
 *    record addressed by its id alone. The optional {@link ListingStore}
 *    is the one capability that reads across users (the administrator's
 *    enrolment view): a store that cannot list without a cross-user index
 *    (a Redis Cluster) declares `supports.listing: false`.
 * 4. No policy arithmetic: the flows pass a precomputed {@link ThrottleSchedule};
 *    a store compares and indexes.
 * 5. No clock: every time is passed in as `now` (ms since the epoch, a safe integer).
 * 6. Any failure of the database rejects the promise; the flows turn it into
 *    `MfaError('STORE_UNAVAILABLE')`, never into a success.
 *
 * Adapters implement {@link StoreImplementation} and wrap it with
 * `defineStore()`, which validates every argument once and copies records
 * in and out. See docs/store-adapters.md and run the conformance kit
 * (`mfakit/testing`).
 */

/** A second factor of a user as stored: an authenticator app today, a passkey tomorrow. */
export interface FactorRecord {
  /** Random id, unique per user: 1–64 characters of `A–Z a–z 0–9 _ -`. */
  id: string;
  userId: string;
  /** What kind of factor, e.g. `'totp'`; the flows pick the checker by it. */
  kind: string;
  /** The name the user gave it ("iPhone"); 1–64 characters. */
  label: string;
  /** `pending` until the first code confirms it, then `active`. */
  state: 'pending' | 'active';
  /** The sealed (encrypted) secret, opaque to the store; ASCII. */
  secret: string;
  /**
   * Monotonic counter, only ever advanced: the last accepted TOTP step, -1
   * before any (a passkey's signature count later).
   */
  counter: number;
  /** When the enrolment started. */
  createdAt: number;
  /** Pending factors stop being confirmable at this time; `null` once active. */
  expiresAt: number | null;
  /** When it last signed the user in (or was confirmed); `null` before. */
  lastUsedAt: number | null;
  /** Parameters owned by the flows (JSON text, e.g. TOTP digits and period), opaque to the store. */
  meta: string;
}

/**
 * The throttling numbers a store applies, precomputed by the flows.
 * After the n-th consecutive failure the user is locked for
 * `locks[min(n, locks.length - 1)]` ms (0: not locked).
 */
export interface ThrottleSchedule {
  /** Lock durations in ms indexed by the failure count; `locks[0]` is 0. */
  readonly locks: readonly number[];
  /** Consecutive failures at which every attempt is refused until the user is reset. */
  readonly suspendAfter: number;
}

/** The throttling state of a user. */
export interface AttemptState {
  /** Consecutive failures (an attempt counts as one while it is being checked). */
  failures: number;
  /** The end of the lock in force, or `null` when none was ever set. */
  lockedUntil: number | null;
}

/**
 * The answer of a reservation: the attempt was counted before the check
 * (`allowed`), or refused with nothing counted.
 *
 * In one step: `failures >= suspendAfter` → refused, suspended; else
 * `lockedUntil > now` → refused; else `failures += 1` and, when
 * `lock = locks[min(failures, locks.length - 1)]` is above 0,
 * `lockedUntil = now + lock` (otherwise it stays as it was). `suspended` is
 * also true on an allowed reservation that reached `suspendAfter`.
 */
export interface AttemptReservation {
  allowed: boolean;
  /** Consecutive failures after this reservation (including it when allowed). */
  failures: number;
  /** The lock in force after this reservation, or `null`. */
  lockedUntil: number | null;
  /** The failures reached `suspendAfter`. */
  suspended: boolean;
}

/** The answer of {@link AttemptStore.beginAttempt}: the user's factors and the reservation. */
export interface AttemptStart {
  /** The user's factors in the state asked for (pending ones only while unexpired). */
  factors: FactorRecord[];
  /** `null`, with nothing written, when `factors` is empty. */
  reservation: AttemptReservation | null;
}

/** What a decisive write reports back. */
export interface Accepted {
  /** Recovery codes the user has left after this write. */
  recoveryCodes: number;
}

/** Everything the settings page shows of a user, read in one step. */
export interface UserRecord {
  /** Every factor, pending ones included (also expired ones not yet swept). */
  factors: FactorRecord[];
  attempts: AttemptState;
  recoveryCodes: number;
}

/** Limits of {@link FactorStore.putPendingFactor}. */
export interface PendingFactorOptions {
  now: number;
  /** Live factors (active, or pending and unexpired) a user may have; a new one beyond is refused. */
  maxFactors: number;
  /** Replace an unexpired pending factor with the same label instead of returning it. */
  replace: boolean;
}

/** The answer of {@link FactorStore.putPendingFactor}. */
export type PendingFactorResult = { ok: true; factor: FactorRecord } | { ok: false; reason: 'limit' };

/**
 * A user's recovery codes as stored: the digests of the codes still unused,
 * and, when the host keeps the set viewable, a sealed copy of the whole set
 * (opaque ASCII text of at most 4096 characters, encrypted by the flows).
 */
export interface RecoverySet {
  digests: readonly string[];
  /** The sealed copy, or `null` (the default: digests only). Consuming a code leaves it as it is. */
  sealed: string | null;
}

/** What {@link FactorStore.activateFactor} writes. */
export interface Activation {
  /** The factor's counter from now on (the step its confirmation code was for). */
  counter: number;
  now: number;
  /** The factor's `meta` from now on (confirmation may measure parameters, like a clock offset). */
  meta: string;
  /** The user's recovery codes, stored when this is the user's first active factor. */
  recovery: RecoverySet;
}

/** The answer of {@link FactorStore.activateFactor}. */
export interface Activated extends Accepted {
  /** The digests given were stored: this was the user's first active factor. */
  recoveryCodesIssued: boolean;
}

/** The answer of {@link FactorStore.removeFactor}. */
export interface Removed {
  removed: boolean;
  /** No active factor is left after the removal, so everything else of the user went too (as {@link FactorStore.deleteUser}). */
  disabled: boolean;
}

/** Factors and the user-level reads and deletes. */
export interface FactorStore {
  /** The user's factors, throttling state and recovery codes left; empty when unknown. */
  getUser(userId: string): Promise<UserRecord>;

  /**
   * In one step: deletes the user's pending factors that expired (`expiresAt <= now`);
   * when an unexpired pending factor has `record.label`, returns it unchanged
   * (`replace: false`) or deletes it (`replace: true`); then refuses with
   * `limit` when the user has `maxFactors` live factors, else inserts `record`
   * (state `pending`) and returns it.
   */
  putPendingFactor(record: FactorRecord, opts: PendingFactorOptions): Promise<PendingFactorResult>;

  /**
   * In one step, when factor `factorId` is pending and `expiresAt > now`:
   * makes it active with `counter`, `meta`, `expiresAt = null`,
   * `lastUsedAt = now`; clears the user's failures; and, when the user had no
   * other active factor, replaces the recovery set (digests and sealed copy)
   * with `recovery`. Otherwise `null`, changing nothing.
   */
  activateFactor(userId: string, factorId: string, activation: Activation): Promise<Activated | null>;

  /**
   * In one step, when factor `factorId` is active and `counter` is greater than
   * its counter: sets the counter and `lastUsedAt = now`, and clears the
   * user's failures. Otherwise `null`, changing nothing. Among concurrent
   * callers with one counter, exactly one succeeds.
   */
  advanceCounter(userId: string, factorId: string, counter: number, now: number): Promise<Accepted | null>;

  /** Sets the label of factor `factorId`; whether it exists. */
  renameFactor(userId: string, factorId: string, label: string): Promise<boolean>;

  /** Compare-and-set of the sealed secret (lazy re-encryption): whether it still was `expected`. */
  resealFactor(userId: string, factorId: string, expected: string, sealed: string): Promise<boolean>;

  /**
   * Deletes factor `factorId`; when no active factor is left (`disabled`),
   * everything else of the user too, trusted devices included.
   */
  removeFactor(userId: string, factorId: string): Promise<Removed>;

  /** Deletes all of the user's records (factors, attempts, recovery codes, codes, trusted devices); whether a factor existed. */
  deleteUser(userId: string): Promise<boolean>;
}

/** The attempt budget, one per user across every factor kind. */
export interface AttemptStore {
  /**
   * Reserve-and-load, in one step: the user's factors in `state` and, when
   * there is at least one, the reservation (see {@link AttemptReservation}).
   * An unknown or unenrolled user writes nothing.
   */
  beginAttempt(userId: string, state: 'active' | 'pending', now: number, schedule: ThrottleSchedule): Promise<AttemptStart>;

  /**
   * Gives one reservation back (a correct answer that clears nothing else, or
   * an attempt that could not be checked): `failures = max(0, failures - 1)`,
   * and `lockedUntil = null` when `locks[min(failures, locks.length - 1)]` is 0
   * for the failures left. A user without failures is left alone.
   */
  refundAttempt(userId: string, schedule: ThrottleSchedule): Promise<void>;
}

/** One set of recovery codes per user: digests, and optionally a sealed copy. */
export interface RecoveryCodeStore {
  /**
   * Replaces the whole set (digests and sealed copy) in one step when the
   * user has an active factor; whether it did. Concurrent replacements leave
   * exactly one whole set: never the digests of one and the copy of another.
   */
  replaceRecoveryCodes(userId: string, set: RecoverySet): Promise<boolean>;

  /** The digests left and the sealed copy, in one consistent read; `{ digests: [], sealed: null }` when none. */
  getRecoveryCodes(userId: string): Promise<RecoverySet>;

  /**
   * Removes `digest` from the set and clears the user's failures, in one
   * step; `null`, changing nothing, when it is not in the set. Exactly once
   * among concurrent callers.
   */
  consumeRecoveryCode(userId: string, digest: string): Promise<Accepted | null>;
}

/** An e-mail/SMS code: user-scoped, single use, a few tries. */
export interface CodeRecord {
  /** Digest naming the user, purpose and destination; 64 hex characters. */
  id: string;
  userId: string;
  /** Digest of the code; the store never sees the code. */
  digest: string;
  createdAt: number;
  expiresAt: number;
  /** Tries left. */
  attemptsLeft: number;
}

/** The answer of {@link OneTimeStore.putCode}. */
export type PutCodeResult = { ok: true } | { ok: false; blockedSince: number };

/** The answer of {@link OneTimeStore.beginCodeAttempt}. */
export interface CodeAttempt {
  /** The code after this attempt's try was taken; `null` when missing, expired or exhausted. */
  code: CodeRecord | null;
  /** `null`, with nothing written, when `code` is `null`. */
  reservation: AttemptReservation | null;
}

/** A pending sign-in step for an API, addressed by its token digest alone. */
export interface ChallengeRecord {
  /** Digest of the token; 64 hex characters. */
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  /** Codes that may still be tried. */
  attemptsLeft: number;
}

/** One-time records: e-mail/SMS codes (user-scoped) and sign-in challenges (single-key). */
export interface OneTimeStore {
  /**
   * Stores the code, replacing one with the same id, unless that one is
   * unexpired (`expiresAt > record.createdAt`) and was created less than
   * `cooldownMs` before `record.createdAt`: then `blockedSince` is its `createdAt`.
   */
  putCode(record: CodeRecord, cooldownMs: number): Promise<PutCodeResult>;

  /**
   * Reserve-and-load for a code, in one step: missing, exhausted
   * (`attemptsLeft <= 0`) or expired (then deleted) → `{ code: null, reservation: null }`,
   * nothing counted; else the reservation, and when allowed also
   * `attemptsLeft -= 1` on the code. An exhausted code is not deleted: the
   * answer that took its last try may still be right and must find it.
   */
  beginCodeAttempt(userId: string, id: string, now: number, schedule: ThrottleSchedule): Promise<CodeAttempt>;

  /** The decisive write of a right code: deletes it and gives the reservation back, in one step; whether it existed. */
  acceptCode(userId: string, id: string, schedule: ThrottleSchedule): Promise<boolean>;

  /** Deletes a code; whether it existed. */
  deleteCode(userId: string, id: string): Promise<boolean>;

  /** Stores a challenge (ids are random: a collision is a replacement). */
  putChallenge(record: ChallengeRecord): Promise<void>;

  /**
   * Takes one try of the challenge, in one step: unexpired with
   * `attemptsLeft > 0` → `attemptsLeft -= 1` and the record after; otherwise
   * `null`. An expired one is deleted; an exhausted one is not (the answer that
   * took its last try may still be right and must be able to consume it).
   */
  spendChallenge(id: string, now: number): Promise<ChallengeRecord | null>;

  /** Deletes the challenge; `true` exactly once among concurrent callers. */
  deleteChallenge(id: string): Promise<boolean>;
}

/** A trusted device ("trust this browser for 30 days"): user-scoped, addressed by the digest of its token. */
export interface DeviceRecord {
  /** Digest of the device token; 64 hex characters. */
  id: string;
  userId: string;
  /** What the user calls it, 1–64 characters ("Firefox on Linux"). */
  label: string;
  createdAt: number;
  expiresAt: number;
  /** When it last skipped the second factor; null before. */
  lastSeenAt: number | null;
}

/**
 * Trusted devices. The store only ever sees the digest of a device token,
 * never the token. Deleted with the user ({@link FactorStore.deleteUser}, and
 * {@link FactorStore.removeFactor} when it disables).
 */
export interface DeviceStore {
  /** Stores a device (ids are random: a collision is a replacement). */
  putDevice(record: DeviceRecord): Promise<void>;
  /** In one step: unexpired (expiresAt > now) → lastSeenAt = now, and the record after; expired → deleted, null; missing → null. */
  touchDevice(userId: string, id: string, now: number): Promise<DeviceRecord | null>;
  /** The user's unexpired devices (any order; the flows sort). */
  listDevices(userId: string, now: number): Promise<DeviceRecord[]>;
  /** Deletes one; whether it existed. */
  revokeDevice(userId: string, id: string): Promise<boolean>;
  /** Deletes all of the user's devices; how many there were (expired ones may count). */
  revokeAllDevices(userId: string): Promise<number>;
}

/** A user as the administrator's enrolment view lists them. */
export interface EnrolledUser {
  userId: string;
  /** Active factors. */
  factors: number;
  /** Their kinds, sorted, without repeats. */
  kinds: string[];
  /** Latest lastUsedAt among the active factors, or null. */
  lastUsedAt: number | null;
  /** Consecutive failures (the flows compare with their suspendAfter). */
  failures: number;
}

/**
 * The administrator's enrolment view. The one capability that reads across
 * users (the exception to rule 3 above): it needs an index of every user,
 * which a store partitioned by user may not have.
 */
export interface ListingStore {
  /**
   * Users with at least one active factor, ordered by user id (binary order:
   * the code points, as the UTF-8 bytes and PostgreSQL's `COLLATE "C"` order
   * them), after `cursor` (a user id, exclusive), at most `limit` (1–1000);
   * `cursor` of the answer is the last user id, or null at the end (no
   * enrolled user follows). Each page is one consistent read; users enrolled
   * or removed between pages may or may not appear.
   */
  listEnrolled(opts: { cursor: string | null; limit: number }): Promise<{ users: EnrolledUser[]; cursor: string | null }>;
  /** How many users have at least one active factor. */
  countEnrolled(): Promise<number>;
}

/** Which optional capabilities a store has; the flows and the conformance kit read it. Every flag is required. */
export interface StoreSupports {
  /** e-mail/SMS codes and sign-in challenges ({@link OneTimeStore}). */
  oneTime: boolean;
  /** Trusted devices ({@link DeviceStore}). */
  devices: boolean;
  /** The administrator's enrolment view across users ({@link ListingStore}). */
  listing: boolean;
}

/** What an adapter implements and passes to `defineStore()`: the required capabilities, and the optional ones its manifest claims. */
export interface StoreImplementation extends FactorStore, AttemptStore, RecoveryCodeStore, Partial<OneTimeStore>, Partial<DeviceStore>, Partial<ListingStore> {
  readonly supports: StoreSupports;
}

/** A store as `createMfa` takes it: made by `defineStore()`, validating every argument. */
export interface MfaStore extends FactorStore, AttemptStore, RecoveryCodeStore, Partial<OneTimeStore>, Partial<DeviceStore>, Partial<ListingStore> {
  readonly supports: Readonly<StoreSupports>;
}
