import { defineStore } from './define.js';
import type {
  AttemptReservation,
  AttemptStore,
  ChallengeRecord,
  CodeRecord,
  DeviceRecord,
  EnrolledUser,
  FactorRecord,
  MfaStore,
  RecoverySet,
  StoreImplementation,
  ThrottleSchedule,
} from './types.js';

/** A {@link MfaStore} held in this process's memory; see {@link createMemoryStore}. */
export interface MemoryStore extends MfaStore {
  /**
   * Everything the store holds, as JSON text: the raw storage that the
   * conformance kit scans for plaintext secrets and codes.
   * @returns JSON of every record
   */
  dump(): string;
}

/** One user's records: every method touches exactly one of these (and challenges), except the listing. */
interface UserState {
  factors: Map<string, FactorRecord>;
  failures: number;
  lockedUntil: number | null;
  recovery: Set<string>;
  /** The sealed copy of the recovery set, when the host keeps it viewable. */
  recoverySealed: string | null;
  codes: Map<string, CodeRecord>;
  devices: Map<string, DeviceRecord>;
}

/**
 * An in-process store, for tests, development and single-process apps. Every
 * method reads and writes synchronously before its promise is created, so no
 * other call can interleave: each one is atomic, exactly as a database
 * adapter must be. State is lost on restart and not shared between
 * processes: use a database adapter when several app servers verify codes.
 *
 * @returns the store, with `supports: { oneTime: true, devices: true, listing: true }`
 * @example
 * import { createMfa, createMemoryStore } from 'mfakit';
 * const mfa = createMfa({ store: createMemoryStore(), issuer: 'ACME', secretKeys, pepper });
 */
export function createMemoryStore(): MemoryStore {
  const users = new Map<string, UserState>();
  const challenges = new Map<string, ChallengeRecord>();

  const user = (userId: string): UserState => {
    let u = users.get(userId);
    if (u === undefined) users.set(userId, (u = { factors: new Map(), failures: 0, lockedUntil: null, recovery: new Set(), recoverySealed: null, codes: new Map(), devices: new Map() }));
    return u;
  };
  const activeCount = (u: UserState): number => {
    let n = 0;
    for (const f of u.factors.values()) if (f.state === 'active') n++;
    return n;
  };
  // The decisive writes of a success: failures and lock go.
  const clearFailures = (u: UserState): void => {
    u.failures = 0;
    u.lockedUntil = null;
  };
  const clear = (u: UserState, userId: string): void => {
    if (u.factors.size === 0 && u.codes.size === 0 && u.failures === 0 && u.recovery.size === 0 && u.recoverySealed === null && u.devices.size === 0) users.delete(userId);
  };

  const impl: StoreImplementation = {
    supports: { oneTime: true, devices: true, listing: true },

    async getUser(userId) {
      const u = users.get(userId);
      if (u === undefined) return { factors: [], attempts: { failures: 0, lockedUntil: null }, recoveryCodes: 0 };
      return { factors: [...u.factors.values()], attempts: { failures: u.failures, lockedUntil: u.lockedUntil }, recoveryCodes: u.recovery.size };
    },

    async putPendingFactor(record, { now, maxFactors, replace }) {
      const u = user(record.userId);
      let live = 0;
      let sameLabel: FactorRecord | undefined;
      for (const f of u.factors.values()) {
        if (f.state === 'pending' && f.expiresAt !== null && f.expiresAt <= now) u.factors.delete(f.id);
        else if (f.state === 'pending' && f.label === record.label) sameLabel = f;
        else live++;
      }
      if (sameLabel !== undefined) {
        if (!replace) return { ok: true, factor: sameLabel };
        u.factors.delete(sameLabel.id);
      }
      if (live >= maxFactors) {
        clear(u, record.userId);
        return { ok: false, reason: 'limit' };
      }
      u.factors.set(record.id, record);
      return { ok: true, factor: record };
    },

    async activateFactor(userId, factorId, { counter, now, meta, recovery }) {
      const u = users.get(userId);
      const f = u?.factors.get(factorId);
      if (u === undefined || f === undefined || f.state !== 'pending' || f.expiresAt === null || f.expiresAt <= now) return null;
      const first = activeCount(u) === 0;
      u.factors.set(factorId, { ...f, state: 'active', counter, meta, expiresAt: null, lastUsedAt: now });
      clearFailures(u);
      if (first) setRecovery(u, recovery);
      return { recoveryCodes: u.recovery.size, recoveryCodesIssued: first };
    },

    async advanceCounter(userId, factorId, counter, now) {
      const u = users.get(userId);
      const f = u?.factors.get(factorId);
      if (u === undefined || f === undefined || f.state !== 'active' || !(counter > f.counter)) return null;
      // In place: defineStore copies records in and out, so no caller holds this object.
      f.counter = counter;
      f.lastUsedAt = now;
      clearFailures(u);
      return { recoveryCodes: u.recovery.size };
    },

    async renameFactor(userId, factorId, label) {
      const f = users.get(userId)?.factors.get(factorId);
      if (f === undefined) return false;
      users.get(userId)?.factors.set(factorId, { ...f, label });
      return true;
    },

    async resealFactor(userId, factorId, expected, sealed) {
      const f = users.get(userId)?.factors.get(factorId);
      if (f === undefined || f.secret !== expected) return false;
      users.get(userId)?.factors.set(factorId, { ...f, secret: sealed });
      return true;
    },

    async removeFactor(userId, factorId) {
      const u = users.get(userId);
      if (u === undefined || !u.factors.delete(factorId)) return { removed: false, disabled: false };
      if (activeCount(u) > 0) return { removed: true, disabled: false };
      users.delete(userId);
      return { removed: true, disabled: true };
    },

    async deleteUser(userId) {
      const existed = (users.get(userId)?.factors.size ?? 0) > 0;
      users.delete(userId);
      return existed;
    },

    async beginAttempt(userId, state, now, schedule) {
      const u = users.get(userId);
      if (u === undefined) return { factors: [], reservation: null };
      const factors: FactorRecord[] = [];
      for (const f of u.factors.values()) {
        if (f.state === state && (state === 'active' || (f.expiresAt !== null && f.expiresAt > now))) factors.push(f);
      }
      return { factors, reservation: factors.length === 0 ? null : reserve(u, now, schedule) };
    },

    async refundAttempt(userId, schedule) {
      const u = users.get(userId);
      if (u === undefined) return;
      refund(u, schedule);
      clear(u, userId);
    },

    async replaceRecoveryCodes(userId, set) {
      const u = users.get(userId);
      if (u === undefined || activeCount(u) === 0) return false;
      setRecovery(u, set);
      return true;
    },

    async getRecoveryCodes(userId) {
      const u = users.get(userId);
      return u === undefined ? { digests: [], sealed: null } : { digests: [...u.recovery], sealed: u.recoverySealed };
    },

    async consumeRecoveryCode(userId, digest) {
      const u = users.get(userId);
      if (u === undefined || !u.recovery.delete(digest)) return null;
      clearFailures(u);
      return { recoveryCodes: u.recovery.size };
    },

    async putCode(record, cooldownMs) {
      const u = user(record.userId);
      const old = u.codes.get(record.id);
      if (old !== undefined && old.expiresAt > record.createdAt && record.createdAt - old.createdAt < cooldownMs) {
        return { ok: false, blockedSince: old.createdAt };
      }
      // Abandoned codes of this user go when the next one is stored, so they cannot pile up.
      for (const [id, c] of u.codes) if (c.expiresAt <= record.createdAt) u.codes.delete(id);
      u.codes.set(record.id, record);
      return { ok: true };
    },

    async beginCodeAttempt(userId, id, now, schedule) {
      const u = users.get(userId);
      const c = u?.codes.get(id);
      if (u === undefined || c === undefined) return { code: null, reservation: null };
      if (c.expiresAt <= now) {
        u.codes.delete(id);
        clear(u, userId);
        return { code: null, reservation: null };
      }
      // An exhausted code stays until it expires: its last try may still be accepted.
      if (c.attemptsLeft <= 0) return { code: null, reservation: null };
      const reservation = reserve(u, now, schedule);
      if (!reservation.allowed) return { code: c, reservation };
      const taken = { ...c, attemptsLeft: c.attemptsLeft - 1 };
      u.codes.set(id, taken);
      return { code: taken, reservation };
    },

    async acceptCode(userId, id, schedule) {
      const u = users.get(userId);
      if (u === undefined || !u.codes.delete(id)) return false;
      refund(u, schedule);
      clear(u, userId);
      return true;
    },

    async deleteCode(userId, id) {
      const u = users.get(userId);
      if (u === undefined || !u.codes.delete(id)) return false;
      clear(u, userId);
      return true;
    },

    async putChallenge(record) {
      // Expired challenges go when the next one is stored, so abandoned ones cannot pile up.
      for (const [id, c] of challenges) if (c.expiresAt <= record.createdAt) challenges.delete(id);
      challenges.set(record.id, record);
    },

    async spendChallenge(id, now) {
      const c = challenges.get(id);
      if (c === undefined) return null;
      if (c.expiresAt <= now) {
        challenges.delete(id);
        return null;
      }
      // An exhausted challenge stays until it expires: its last try's answer may still consume it.
      if (c.attemptsLeft <= 0) return null;
      const spent = { ...c, attemptsLeft: c.attemptsLeft - 1 };
      challenges.set(id, spent);
      return spent;
    },

    async deleteChallenge(id) {
      return challenges.delete(id);
    },

    async putDevice(record) {
      const u = user(record.userId);
      // Expired devices of this user go when the next one is stored, so they cannot pile up.
      for (const [id, d] of u.devices) if (d.expiresAt <= record.createdAt) u.devices.delete(id);
      u.devices.set(record.id, record);
    },

    async touchDevice(userId, id, now) {
      const u = users.get(userId);
      const d = u?.devices.get(id);
      if (u === undefined || d === undefined) return null;
      if (d.expiresAt <= now) {
        u.devices.delete(id);
        clear(u, userId);
        return null;
      }
      const seen = { ...d, lastSeenAt: now };
      u.devices.set(id, seen);
      return seen;
    },

    async listDevices(userId, now) {
      return [...(users.get(userId)?.devices.values() ?? [])].filter((d) => d.expiresAt > now);
    },

    async revokeDevice(userId, id) {
      const u = users.get(userId);
      if (u === undefined || !u.devices.delete(id)) return false;
      clear(u, userId);
      return true;
    },

    async revokeAllDevices(userId) {
      const u = users.get(userId);
      if (u === undefined) return 0;
      const n = u.devices.size;
      u.devices.clear();
      clear(u, userId);
      return n;
    },

    async listEnrolled({ cursor, limit }) {
      const after = [...users.keys()].filter((id) => cursor === null || compareCodePoints(id, cursor) > 0).sort(compareCodePoints);
      const page: EnrolledUser[] = [];
      let more = false;
      for (const id of after) {
        const entry = enrolled(id, users.get(id) as UserState);
        if (entry === null) continue;
        if (page.length === limit) {
          more = true;
          break;
        }
        page.push(entry);
      }
      return { users: page, cursor: more ? (page[page.length - 1] as EnrolledUser).userId : null };
    },

    async countEnrolled() {
      let n = 0;
      for (const u of users.values()) if (activeCount(u) > 0) n++;
      return n;
    },
  };

  const dump = (): string =>
    JSON.stringify({
      users: [...users].map(([id, u]) => ({ id, factors: [...u.factors.values()], failures: u.failures, lockedUntil: u.lockedUntil, recovery: [...u.recovery], recoverySealed: u.recoverySealed, codes: [...u.codes.values()], devices: [...u.devices.values()] })),
      challenges: [...challenges.values()],
    });
  return defineStore(impl, { dump });
}

function setRecovery(u: UserState, set: RecoverySet): void {
  u.recovery = new Set(set.digests);
  u.recoverySealed = set.sealed;
}

/** `locks[min(failures, length - 1)]`: the one lookup a store makes in the schedule. */
function lockFor(failures: number, schedule: ThrottleSchedule): number {
  return schedule.locks[Math.min(failures, schedule.locks.length - 1)] as number;
}

/** Gives one reservation back: see {@link AttemptStore.refundAttempt}. */
function refund(u: UserState, schedule: ThrottleSchedule): void {
  if (u.failures === 0) return;
  u.failures -= 1;
  if (lockFor(u.failures, schedule) === 0) u.lockedUntil = null;
}

/** The reservation of {@link AttemptReservation}, applied to one user's state. */
function reserve(u: UserState, now: number, schedule: ThrottleSchedule): AttemptReservation {
  if (u.failures >= schedule.suspendAfter) return { allowed: false, failures: u.failures, lockedUntil: u.lockedUntil, suspended: true };
  if (u.lockedUntil !== null && u.lockedUntil > now) return { allowed: false, failures: u.failures, lockedUntil: u.lockedUntil, suspended: false };
  u.failures += 1;
  const lock = lockFor(u.failures, schedule);
  if (lock > 0) u.lockedUntil = now + lock;
  return { allowed: true, failures: u.failures, lockedUntil: u.lockedUntil, suspended: u.failures >= schedule.suspendAfter };
}

/** A user as the enrolment view lists them, or `null` without an active factor. */
function enrolled(userId: string, u: UserState): EnrolledUser | null {
  const kinds = new Set<string>();
  let factors = 0;
  let lastUsedAt: number | null = null;
  for (const f of u.factors.values()) {
    if (f.state !== 'active') continue;
    factors++;
    kinds.add(f.kind);
    if (f.lastUsedAt !== null && (lastUsedAt === null || f.lastUsedAt > lastUsedAt)) lastUsedAt = f.lastUsedAt;
  }
  if (factors === 0) return null;
  return { userId, factors, kinds: [...kinds].sort(compareCodePoints), lastUsedAt, failures: u.failures };
}

/**
 * Binary order of two strings by code point, which is the order of their
 * UTF-8 bytes (PostgreSQL's `COLLATE "C"`). UTF-16 code-unit order differs
 * only where a character above U+FFFF meets one in U+E000–U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) encode code points above every BMP character.
    const hx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const hy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return hx - hy;
  }
  return a.length - b.length;
}
