import type {
  AttemptReservation,
  AttemptState,
  ChallengeConsumeResult,
  ChallengeRecord,
  FactorRecord,
  MfaStore,
  ThrottlePolicy,
} from './types.js';

/**
 * An in-process {@link MfaStore}, for tests, development and single-process
 * apps. Every method reads and writes synchronously before its promise is
 * created, so no other call can interleave: each one is atomic across awaits,
 * exactly as a database adapter must be.
 *
 * Records are copied in and out, so a caller mutating a returned object never
 * changes the store. State lives in this object only: it is lost on restart and
 * not shared between processes, so use a database adapter when several app
 * servers verify codes.
 *
 * @example
 * import { createMfa, MemoryStore } from 'mfakit';
 * const mfa = createMfa({ store: new MemoryStore(), issuer: 'ACME', secretKeys, pepper });
 */
export class MemoryStore implements MfaStore {
  readonly #factors = new Map<string, FactorRecord>();
  readonly #recovery = new Map<string, Set<string>>();
  readonly #attempts = new Map<string, AttemptState>();
  readonly #challenges = new Map<string, ChallengeRecord>();
  /** Challenge ids by user, so `deleteUser` need not scan every challenge. */
  readonly #challengesByUser = new Map<string, Set<string>>();

  /**
   * @param userId - the user
   * @returns a copy of the user's factor, or `null`
   * @example
   * await store.getFactor('u1'); // null
   */
  async getFactor(userId: string): Promise<FactorRecord | null> {
    const f = this.#factors.get(userId);
    return f === undefined ? null : { ...f };
  }

  /**
   * @param record - a factor in state `pending`
   * @returns false, changing nothing, when the user has an active factor
   * @throws {TypeError} (as a rejection) when `record.state` is not `pending`
   * @example
   * await store.putPendingFactor({ userId, state: 'pending', secret, createdAt: now, expiresAt: now + 900_000, lastStep: -1 });
   */
  async putPendingFactor(record: FactorRecord): Promise<boolean> {
    if (record.state !== 'pending') throw new TypeError(`putPendingFactor expects a pending record, got state ${String(record.state)}`);
    if (this.#factors.get(record.userId)?.state === 'active') return false;
    this.#factors.set(record.userId, { ...record });
    return true;
  }

  /**
   * @param userId - the user
   * @param expectedSecret - the sealed secret the pending factor must still hold
   * @param step - the confirming code's step, claimed by the activation
   * @param now - current time in ms
   * @param recoveryHashes - digests replacing the user's recovery codes
   * @returns whether the factor was activated
   * @example
   * await store.activateFactor(userId, sealed, step, now, hashes);
   */
  async activateFactor(userId: string, expectedSecret: string, step: number, now: number, recoveryHashes: readonly string[]): Promise<boolean> {
    const f = this.#factors.get(userId);
    if (f === undefined || f.state !== 'pending' || f.secret !== expectedSecret) return false;
    if (f.expiresAt === null || f.expiresAt <= now) return false;
    this.#factors.set(userId, { ...f, state: 'active', createdAt: now, expiresAt: null, lastStep: step });
    this.#setRecovery(userId, recoveryHashes);
    return true;
  }

  /**
   * @param userId - the user
   * @param expectedSecret - the sealed secret read before re-encrypting
   * @param newSecret - the secret sealed under the current key
   * @returns whether the secret still matched and was replaced
   * @example
   * await store.updateFactorSecret(userId, oldSealed, newSealed);
   */
  async updateFactorSecret(userId: string, expectedSecret: string, newSecret: string): Promise<boolean> {
    const f = this.#factors.get(userId);
    if (f === undefined || f.secret !== expectedSecret) return false;
    this.#factors.set(userId, { ...f, secret: newSecret });
    return true;
  }

  /**
   * @param userId - the user
   * @returns whether a factor existed
   * @example
   * await store.deleteUser('u1');
   */
  async deleteUser(userId: string): Promise<boolean> {
    const existed = this.#factors.delete(userId);
    this.#recovery.delete(userId);
    this.#attempts.delete(userId);
    for (const id of this.#challengesByUser.get(userId) ?? []) {
      if (this.#challenges.get(id)?.userId === userId) this.#challenges.delete(id);
    }
    this.#challengesByUser.delete(userId);
    return existed;
  }

  /**
   * @param userId - the user
   * @param step - the TOTP step of an accepted code
   * @returns true when the factor is active and `step` is later than every step claimed before
   * @example
   * if (!(await store.claimStep(userId, result.step))) return { ok: false, reason: 'replayed' };
   */
  async claimStep(userId: string, step: number): Promise<boolean> {
    const f = this.#factors.get(userId);
    if (f === undefined || f.state !== 'active' || !(step > f.lastStep)) return false;
    this.#factors.set(userId, { ...f, lastStep: step });
    return true;
  }

  /**
   * @param userId - the user
   * @param now - current time in ms
   * @param policy - the throttling numbers
   * @returns the reservation; see {@link MfaStore.reserveAttempt}
   * @example
   * const r = await store.reserveAttempt(userId, Date.now(), policy);
   */
  async reserveAttempt(userId: string, now: number, policy: ThrottlePolicy): Promise<AttemptReservation> {
    const a = this.#attempts.get(userId);
    const before = a === undefined ? 0 : a.failures;
    const lockedBefore = a === undefined ? null : a.lockedUntil;
    if (before >= policy.suspendAfter) {
      return { allowed: false, failures: before, lockedUntil: lockedBefore, suspended: true };
    }
    if (lockedBefore !== null && lockedBefore > now) {
      return { allowed: false, failures: before, lockedUntil: lockedBefore, suspended: false };
    }
    const failures = before + 1;
    const lockedUntil = failures >= policy.freeFailures ? now + lockDuration(failures, policy) : lockedBefore;
    // The stored state is never handed out (getAttempts copies), so it is updated in place.
    if (a === undefined) this.#attempts.set(userId, { failures, lockedUntil });
    else {
      a.failures = failures;
      a.lockedUntil = lockedUntil;
    }
    return { allowed: true, failures, lockedUntil, suspended: failures >= policy.suspendAfter };
  }

  /**
   * @param userId - the user
   * @returns nothing; failures and lock are gone
   * @example
   * await store.clearFailures(userId);
   */
  async clearFailures(userId: string): Promise<void> {
    this.#attempts.delete(userId);
  }

  /**
   * @param userId - the user
   * @returns a copy of the throttling state, zero and unlocked when unknown
   * @example
   * const { failures, lockedUntil } = await store.getAttempts(userId);
   */
  async getAttempts(userId: string): Promise<AttemptState> {
    const a = this.#attempts.get(userId);
    return a === undefined ? { failures: 0, lockedUntil: null } : { ...a };
  }

  /**
   * @param userId - the user
   * @param hashes - the new set of digests; empty deletes the set
   * @returns nothing
   * @example
   * await store.replaceRecoveryCodes(userId, codes.map((c) => hashRecoveryCode(c, { pepper })));
   */
  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    this.#setRecovery(userId, hashes);
  }

  /**
   * @param userId - the user
   * @param hash - the digest of the code typed
   * @returns true when the digest was in the set (and is now removed)
   * @example
   * await store.consumeRecoveryCode(userId, hashRecoveryCode(input, { pepper }));
   */
  async consumeRecoveryCode(userId: string, hash: string): Promise<boolean> {
    return this.#recovery.get(userId)?.delete(hash) ?? false;
  }

  /**
   * @param userId - the user
   * @returns how many recovery-code digests remain
   * @example
   * await store.countRecoveryCodes(userId); // 10
   */
  async countRecoveryCodes(userId: string): Promise<number> {
    return this.#recovery.get(userId)?.size ?? 0;
  }

  /**
   * @param id - the challenge id
   * @param record - the challenge
   * @param cooldownMs - how long an unexpired challenge under `id` blocks a new one
   * @returns whether the challenge was stored
   * @example
   * await store.putChallenge(id, record, 60_000);
   */
  async putChallenge(id: string, record: ChallengeRecord, cooldownMs: number): Promise<boolean> {
    const old = this.#challenges.get(id);
    if (old !== undefined && old.expiresAt > record.createdAt && record.createdAt - old.createdAt < cooldownMs) return false;
    if (old !== undefined) this.#unindex(old.userId, id);
    this.#challenges.set(id, { ...record });
    let ids = this.#challengesByUser.get(record.userId);
    if (ids === undefined) this.#challengesByUser.set(record.userId, (ids = new Set()));
    // Abandoned challenges of this user go when the next one is stored, so they cannot pile up.
    for (const other of ids) {
      const c = this.#challenges.get(other);
      if (c === undefined || c.userId !== record.userId) ids.delete(other);
      else if (c.expiresAt <= record.createdAt) {
        this.#challenges.delete(other);
        ids.delete(other);
      }
    }
    ids.add(id);
    return true;
  }

  /**
   * @param id - the challenge id
   * @param purpose - what the answer is for; must equal the stored purpose
   * @param digest - digest of the answer
   * @param now - current time in ms
   * @returns see {@link MfaStore.consumeChallenge}
   * @example
   * const r = await store.consumeChallenge(id, 'sign-in', digest, Date.now());
   */
  async consumeChallenge(id: string, purpose: string, digest: string, now: number): Promise<ChallengeConsumeResult> {
    const c = this.#challenges.get(id);
    if (c === undefined) return { ok: false, reason: 'missing', attemptsLeft: 0 };
    if (c.expiresAt <= now) {
      this.#removeChallenge(id, c);
      return { ok: false, reason: 'expired', attemptsLeft: 0 };
    }
    if (c.attemptsLeft <= 0) return { ok: false, reason: 'exhausted', attemptsLeft: 0 };
    if (c.digest === digest && c.purpose === purpose) {
      this.#removeChallenge(id, c);
      return { ok: true, record: { ...c } };
    }
    const attemptsLeft = c.attemptsLeft - 1;
    if (attemptsLeft <= 0) this.#removeChallenge(id, c);
    else this.#challenges.set(id, { ...c, attemptsLeft });
    return { ok: false, reason: 'mismatch', attemptsLeft };
  }

  /**
   * @param id - the challenge id
   * @returns whether it existed
   * @example
   * await store.deleteChallenge(id);
   */
  async deleteChallenge(id: string): Promise<boolean> {
    const c = this.#challenges.get(id);
    if (c === undefined) return false;
    this.#removeChallenge(id, c);
    return true;
  }

  #setRecovery(userId: string, hashes: readonly string[]): void {
    if (hashes.length === 0) this.#recovery.delete(userId);
    else this.#recovery.set(userId, new Set(hashes));
  }

  #removeChallenge(id: string, c: ChallengeRecord): void {
    this.#challenges.delete(id);
    this.#unindex(c.userId, id);
  }

  #unindex(userId: string, id: string): void {
    const ids = this.#challengesByUser.get(userId);
    if (ids !== undefined && ids.delete(id) && ids.size === 0) this.#challengesByUser.delete(userId);
  }
}

/** `baseLockMs · 2^(failures − freeFailures)`, capped; the exponent is capped too so it never overflows to Infinity. */
function lockDuration(failures: number, policy: ThrottlePolicy): number {
  const doublings = Math.min(failures - policy.freeFailures, 52);
  return Math.min(policy.baseLockMs * 2 ** doublings, policy.maxLockMs);
}
