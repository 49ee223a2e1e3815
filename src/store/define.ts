import { MfaError } from '../errors.js';
import { assertInteger, describe } from '../internal/assert.js';
import { assertDigest, assertFactorId, assertLabel, assertName, assertTime, assertUserId } from '../internal/ids.js';
import type {
  Activation,
  AttemptReservation,
  ChallengeRecord,
  CodeRecord,
  DeviceRecord,
  EnrolledUser,
  FactorRecord,
  MfaStore,
  RecoverySet,
  StoreImplementation,
  StoreSupports,
  ThrottleSchedule,
  UserRecord,
} from './types.js';

const DEFINED = Symbol.for('mfakit.store');
// The adapter's methods behind a defined store, for storeWith().
const IMPLEMENTATION = Symbol('mfakit.store.implementation');
const REQUIRED = [
  'getUser', 'putPendingFactor', 'activateFactor', 'advanceCounter', 'renameFactor', 'resealFactor', 'removeFactor',
  'deleteUser', 'beginAttempt', 'refundAttempt', 'replaceRecoveryCodes', 'getRecoveryCodes', 'consumeRecoveryCode',
] as const;
const ONE_TIME = ['putCode', 'beginCodeAttempt', 'acceptCode', 'deleteCode', 'putChallenge', 'spendChallenge', 'deleteChallenge'] as const;
const DEVICES = ['putDevice', 'touchDevice', 'listDevices', 'revokeDevice', 'revokeAllDevices'] as const;
const LISTING = ['listEnrolled', 'countEnrolled'] as const;
/** The optional capabilities, by manifest flag, and the methods each needs. */
const CAPABILITIES = { oneTime: ONE_TIME, devices: DEVICES, listing: LISTING } as const;
const FLAGS = Object.keys(CAPABILITIES) as (keyof StoreSupports)[];
const MAX_PAGE = 1000;
const MAX_SEALED = 4096;
const MAX_META = 1024;
const MAX_RECOVERY_CODES = 100;
const KIND = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Turns an adapter's implementation into an {@link MfaStore}. This is the
 * public side of every store: it checks every argument once (user ids,
 * factor ids, digests, times, records, the schedule), so an adapter only
 * implements the atomic steps and may trust what it is given; and it copies
 * records in and out, so no caller ever shares an object with the adapter.
 * An invalid argument rejects with a `TypeError` before the adapter is called.
 *
 * @param impl - the adapter's methods and its `supports` manifest
 * @param extras - the adapter's own methods to add to the store, such as `migrate()`
 * @returns the store, for `createMfa` and the conformance kit
 * @throws {MfaError} `INVALID_CONFIG` when a method the manifest needs is missing
 * @example
 * export function createMyStore(db: Db): MfaStore {
 *   return defineStore({ supports: { oneTime: false, devices: false, listing: false }, async getUser(userId) { … }, … });
 * }
 */
export function defineStore<Extras extends object = Record<never, never>>(impl: StoreImplementation, extras?: Extras): MfaStore & Extras {
  if (isDefinedStore(impl) && extras === undefined) return impl as MfaStore & Extras;
  const store = build(implementationOf(impl), undefined);
  if (extras !== undefined) {
    for (const name of Object.keys(extras)) {
      if (name in store) throw new MfaError('INVALID_CONFIG', `defineStore: extra method ${name} would hide a store method`);
    }
    Object.assign(store, extras);
  }
  Object.defineProperty(store, DEFINED, { value: true });
  Object.defineProperty(store, IMPLEMENTATION, { value: implementationOf(impl) });
  return Object.freeze(store) as MfaStore & Extras;
}

/** How a caller of {@link storeWith} turns an adapter's failure into its own error. */
export type StoreFailure = (method: string, cause: unknown) => unknown;

/**
 * The same store as {@link defineStore} makes — the same checks, the same
 * copies — over the implementation behind `store`, with every failure of the
 * adapter (a rejection or a throw) turned into `fail(method, cause)` in the same
 * step as the copy. This is how `createMfa` wraps its store once.
 * @internal
 */
export function storeWith(store: MfaStore | StoreImplementation, fail: StoreFailure): MfaStore {
  return Object.freeze(build(implementationOf(store), fail));
}

/** The adapter's own methods behind a defined store, or the implementation given, checked for its manifest. */
function implementationOf(given: MfaStore | StoreImplementation): StoreImplementation {
  const inner = (given as unknown as Record<symbol, StoreImplementation | undefined>)?.[IMPLEMENTATION];
  if (inner !== undefined) return inner;
  const impl = given as StoreImplementation;
  if (typeof impl !== 'object' || impl === null) throw new MfaError('INVALID_CONFIG', `defineStore expects the adapter's methods, got ${describe(impl)}`);
  const supports = readSupports(impl.supports);
  const needed: string[] = [...REQUIRED];
  for (const flag of FLAGS) if (supports[flag]) needed.push(...CAPABILITIES[flag]);
  const missing = needed.filter((m) => typeof (impl as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new MfaError('INVALID_CONFIG', `the store is missing methods: ${missing.join(', ')}`);
  return impl;
}

function build(impl: StoreImplementation, fail: StoreFailure | undefined): MfaStore {
  const supports = readSupports(impl.supports);
  /** Calls the adapter; its answer is copied and its failure mapped in one step. */
  function invoke<T, R = T>(method: string, run: () => Promise<T>, copy?: (value: T) => R): Promise<R> {
    let answer: Promise<T>;
    try {
      answer = run();
    } catch (err) {
      answer = Promise.reject(err);
    }
    if (fail === undefined) return copy === undefined ? (answer as unknown as Promise<R>) : answer.then(copy);
    return answer.then(copy, (cause: unknown) => Promise.reject(fail(method, cause))) as Promise<R>;
  }

  const store: MfaStore = {
    supports,
    getUser: checked((userId) => {
      assertUserId(userId);
      return invoke('getUser', () => impl.getUser(userId), copyUser);
    }),
    putPendingFactor: checked((record, opts) => {
      const factor = copyFactorIn(record);
      if (factor.state !== 'pending' || factor.expiresAt === null) throw new TypeError('putPendingFactor takes a pending factor with an expiresAt');
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`putPendingFactor options must be an object, got ${describe(opts)}`);
      assertTime(opts.now, 'now');
      assertInteger(opts.maxFactors, 'maxFactors', 1, 100);
      if (typeof opts.replace !== 'boolean') throw new TypeError('replace must be a boolean');
      return invoke('putPendingFactor', () => impl.putPendingFactor(factor, { now: opts.now, maxFactors: opts.maxFactors, replace: opts.replace }), (r) => (r.ok ? { ok: true as const, factor: copyFactor(r.factor) } : { ok: false as const, reason: 'limit' as const }));
    }),
    activateFactor: checked((userId, factorId, activation) => {
      assertUserId(userId);
      assertFactorId(factorId);
      const copy = copyActivation(activation);
      return invoke('activateFactor', () => impl.activateFactor(userId, factorId, copy), (r) => (r === null ? null : { recoveryCodes: r.recoveryCodes, recoveryCodesIssued: r.recoveryCodesIssued }));
    }),
    advanceCounter: checked((userId, factorId, counter, now) => {
      assertUserId(userId);
      assertFactorId(factorId);
      assertCounter(counter);
      assertTime(now, 'now');
      return invoke('advanceCounter', () => impl.advanceCounter(userId, factorId, counter, now));
    }),
    renameFactor: checked((userId, factorId, label) => {
      assertUserId(userId);
      assertFactorId(factorId);
      assertLabel(label);
      return invoke('renameFactor', () => impl.renameFactor(userId, factorId, label));
    }),
    resealFactor: checked((userId, factorId, expected, sealed) => {
      assertUserId(userId);
      assertFactorId(factorId);
      assertSealed(expected, 'expected');
      assertSealed(sealed, 'sealed');
      return invoke('resealFactor', () => impl.resealFactor(userId, factorId, expected, sealed));
    }),
    removeFactor: checked((userId, factorId) => {
      assertUserId(userId);
      assertFactorId(factorId);
      return invoke('removeFactor', () => impl.removeFactor(userId, factorId));
    }),
    deleteUser: checked((userId) => {
      assertUserId(userId);
      return invoke('deleteUser', () => impl.deleteUser(userId));
    }),
    beginAttempt: checked((userId, state, now, schedule) => {
      assertUserId(userId);
      if (state !== 'active' && state !== 'pending') throw new TypeError(`state must be 'active' or 'pending', got ${describe(state)}`);
      assertTime(now, 'now');
      assertSchedule(schedule);
      return invoke('beginAttempt', () => impl.beginAttempt(userId, state, now, schedule), (r) => ({ factors: r.factors.map(copyFactor), reservation: copyReservation(r.reservation) }));
    }),
    refundAttempt: checked((userId, schedule) => {
      assertUserId(userId);
      assertSchedule(schedule);
      return invoke('refundAttempt', () => impl.refundAttempt(userId, schedule));
    }),
    replaceRecoveryCodes: checked((userId, set) => {
      assertUserId(userId);
      const copy = copyRecoverySet(set);
      return invoke('replaceRecoveryCodes', () => impl.replaceRecoveryCodes(userId, copy));
    }),
    getRecoveryCodes: checked((userId) => {
      assertUserId(userId);
      return invoke('getRecoveryCodes', () => impl.getRecoveryCodes(userId), copyRecoverySet);
    }),
    consumeRecoveryCode: checked((userId, digest) => {
      assertUserId(userId);
      assertDigest(digest, 'digest');
      return invoke('consumeRecoveryCode', () => impl.consumeRecoveryCode(userId, digest));
    }),
  };
  const full = impl as Required<StoreImplementation>;
  if (supports.oneTime) Object.assign(store, oneTimeMethods(full, invoke));
  if (supports.devices) Object.assign(store, deviceMethods(full, invoke));
  if (supports.listing) Object.assign(store, listingMethods(full, invoke));
  return store;
}

/** Whether `store` was made by {@link defineStore} (in this or another copy of mfakit). */
export function isDefinedStore(store: unknown): store is MfaStore {
  return typeof store === 'object' && store !== null && (store as Record<symbol, unknown>)[DEFINED] === true;
}

type Invoke = <T, R = T>(method: string, run: () => Promise<T>, copy?: (value: T) => R) => Promise<R>;

function oneTimeMethods(impl: Required<StoreImplementation>, invoke: Invoke): Required<Pick<MfaStore, (typeof ONE_TIME)[number]>> {
  return {
    putCode: checked((record, cooldownMs) => {
      const code = copyCode(record);
      assertTime(cooldownMs, 'cooldownMs');
      return invoke('putCode', () => impl.putCode(code, cooldownMs));
    }),
    beginCodeAttempt: checked((userId, id, now, schedule) => {
      assertUserId(userId);
      assertDigest(id, 'id');
      assertTime(now, 'now');
      assertSchedule(schedule);
      return invoke('beginCodeAttempt', () => impl.beginCodeAttempt(userId, id, now, schedule), (r) => ({ code: r.code === null ? null : copyCode(r.code), reservation: copyReservation(r.reservation) }));
    }),
    acceptCode: checked((userId, id, schedule) => {
      assertUserId(userId);
      assertDigest(id, 'id');
      assertSchedule(schedule);
      return invoke('acceptCode', () => impl.acceptCode(userId, id, schedule));
    }),
    deleteCode: checked((userId, id) => {
      assertUserId(userId);
      assertDigest(id, 'id');
      return invoke('deleteCode', () => impl.deleteCode(userId, id));
    }),
    putChallenge: checked((record) => {
      const challenge = copyChallenge(record);
      return invoke('putChallenge', () => impl.putChallenge(challenge));
    }),
    spendChallenge: checked((id, now) => {
      assertDigest(id, 'id');
      assertTime(now, 'now');
      return invoke('spendChallenge', () => impl.spendChallenge(id, now), (r) => (r === null ? null : copyChallenge(r)));
    }),
    deleteChallenge: checked((id) => {
      assertDigest(id, 'id');
      return invoke('deleteChallenge', () => impl.deleteChallenge(id));
    }),
  };
}

function deviceMethods(impl: Required<StoreImplementation>, invoke: Invoke): Required<Pick<MfaStore, (typeof DEVICES)[number]>> {
  return {
    putDevice: checked((record) => {
      const device = copyDevice(record);
      return invoke('putDevice', () => impl.putDevice(device));
    }),
    touchDevice: checked((userId, id, now) => {
      assertUserId(userId);
      assertDigest(id, 'id');
      assertTime(now, 'now');
      return invoke('touchDevice', () => impl.touchDevice(userId, id, now), (r) => (r === null ? null : copyDevice(r)));
    }),
    listDevices: checked((userId, now) => {
      assertUserId(userId);
      assertTime(now, 'now');
      return invoke('listDevices', () => impl.listDevices(userId, now), (r) => r.map(copyDevice));
    }),
    revokeDevice: checked((userId, id) => {
      assertUserId(userId);
      assertDigest(id, 'id');
      return invoke('revokeDevice', () => impl.revokeDevice(userId, id));
    }),
    revokeAllDevices: checked((userId) => {
      assertUserId(userId);
      return invoke('revokeAllDevices', () => impl.revokeAllDevices(userId));
    }),
  };
}

function listingMethods(impl: Required<StoreImplementation>, invoke: Invoke): Required<Pick<MfaStore, (typeof LISTING)[number]>> {
  return {
    listEnrolled: checked((opts) => {
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`listEnrolled options must be an object, got ${describe(opts)}`);
      const { cursor, limit } = opts;
      if (cursor !== null) assertName(cursor, 'cursor');
      assertInteger(limit, 'limit', 1, MAX_PAGE);
      return invoke('listEnrolled', () => impl.listEnrolled({ cursor, limit }), (r) => ({ users: r.users.map(copyEnrolled), cursor: r.cursor }));
    }),
    countEnrolled: checked(() => invoke('countEnrolled', () => impl.countEnrolled())),
  };
}

/** Argument checks throw synchronously; a store method always answers with a promise. */
function checked<A extends unknown[], R>(run: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => {
    try {
      return run(...args);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

/** The manifest, every flag a boolean: an old manifest (`{ oneTime }` alone) is refused naming the flags it lacks. */
function readSupports(supports: unknown): StoreSupports {
  const shape = `supports: { ${FLAGS.map((f) => `${f}: boolean`).join(', ')} }`;
  if (typeof supports !== 'object' || supports === null) throw new MfaError('INVALID_CONFIG', `the store must declare ${shape}`);
  const given = supports as Partial<Record<keyof StoreSupports, unknown>>;
  const missing = FLAGS.filter((f) => given[f] === undefined);
  if (missing.length > 0) throw new MfaError('INVALID_CONFIG', `the store's manifest lacks ${missing.map((f) => `supports.${f}`).join(', ')}: declare ${shape}`);
  const wrong = FLAGS.filter((f) => typeof given[f] !== 'boolean');
  if (wrong.length > 0) throw new MfaError('INVALID_CONFIG', `${wrong.map((f) => `supports.${f}`).join(', ')} must be a boolean`);
  return Object.freeze({ oneTime: given.oneTime === true, devices: given.devices === true, listing: given.listing === true });
}

// Schedules are made once by createMfa and passed on every attempt: check each object once.
const checkedSchedules = new WeakSet<object>();

function assertSchedule(schedule: unknown): asserts schedule is ThrottleSchedule {
  if (typeof schedule === 'object' && schedule !== null && checkedSchedules.has(schedule)) return;
  if (typeof schedule !== 'object' || schedule === null) throw new TypeError(`schedule must be an object, got ${describe(schedule)}`);
  const { locks, suspendAfter } = schedule as ThrottleSchedule;
  if (!Array.isArray(locks) || locks.length === 0 || locks.length > 1000 || locks[0] !== 0) {
    throw new TypeError('schedule.locks must be an array of 1–1000 lock durations starting with 0');
  }
  for (const ms of locks) assertTime(ms, 'schedule.locks[i]');
  assertInteger(suspendAfter, 'schedule.suspendAfter', 1, 1000);
  checkedSchedules.add(schedule);
}

function assertCounter(value: unknown): asserts value is number {
  assertInteger(value, 'counter', -1, Number.MAX_SAFE_INTEGER);
}

function assertSealed(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SEALED || !/^[\x21-\x7e]+$/.test(value)) {
    throw new TypeError(`${name} must be 1–${MAX_SEALED} printable ASCII characters (a sealed secret)`);
  }
}

function copyActivation(activation: unknown): Activation {
  if (typeof activation !== 'object' || activation === null) throw new TypeError(`activation must be an object { counter, now, meta, recovery }, got ${describe(activation)}`);
  const a = activation as Activation;
  assertCounter(a.counter);
  assertTime(a.now, 'activation.now');
  assertMeta(a.meta, 'activation.meta');
  return { counter: a.counter, now: a.now, meta: a.meta, recovery: copyRecoverySet(a.recovery) };
}

function copyRecoverySet(set: unknown): RecoverySet {
  if (typeof set !== 'object' || set === null) throw new TypeError(`a recovery set must be an object { digests, sealed }, got ${describe(set)}`);
  const { digests, sealed } = set as RecoverySet;
  if (sealed !== null) assertSealed(sealed, 'sealed');
  return { digests: copyDigests(digests), sealed };
}

function assertMeta(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length > MAX_META) throw new TypeError(`${name} must be a string of at most ${MAX_META} characters`);
}

function copyDigests(digests: unknown): string[] {
  if (!Array.isArray(digests) || digests.length > MAX_RECOVERY_CODES) throw new TypeError(`digests must be an array of at most ${MAX_RECOVERY_CODES}`);
  const copy = digests.slice() as string[];
  for (const d of copy) assertDigest(d, 'digests[i]');
  if (new Set(copy).size !== copy.length) throw new TypeError('digests must be distinct');
  return copy;
}

function copyFactorIn(record: unknown): FactorRecord {
  if (typeof record !== 'object' || record === null) throw new TypeError(`record must be a factor record, got ${describe(record)}`);
  const f = record as FactorRecord;
  assertFactorId(f.id, 'record.id');
  assertUserId(f.userId);
  if (typeof f.kind !== 'string' || !KIND.test(f.kind)) throw new TypeError('record.kind must be a lower-case name such as "totp"');
  assertLabel(f.label, 'record.label');
  if (f.state !== 'pending' && f.state !== 'active') throw new TypeError(`record.state must be 'pending' or 'active'`);
  assertSealed(f.secret, 'record.secret');
  assertCounter(f.counter);
  assertTime(f.createdAt, 'record.createdAt');
  if (f.expiresAt !== null) assertTime(f.expiresAt, 'record.expiresAt');
  if (f.lastUsedAt !== null) assertTime(f.lastUsedAt, 'record.lastUsedAt');
  assertMeta(f.meta, 'record.meta');
  return copyFactor(f);
}

function copyFactor(f: FactorRecord): FactorRecord {
  return {
    id: f.id,
    userId: f.userId,
    kind: f.kind,
    label: f.label,
    state: f.state,
    secret: f.secret,
    counter: f.counter,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
    lastUsedAt: f.lastUsedAt,
    meta: f.meta,
  };
}

function copyReservation(r: AttemptReservation | null): AttemptReservation | null {
  return r === null ? null : { allowed: r.allowed, failures: r.failures, lockedUntil: r.lockedUntil, suspended: r.suspended };
}

function copyUser(u: UserRecord): UserRecord {
  return { factors: u.factors.map(copyFactor), attempts: { failures: u.attempts.failures, lockedUntil: u.attempts.lockedUntil }, recoveryCodes: u.recoveryCodes };
}

/** The checks every expiring user record shares: an id that is a digest, its user, its two times. */
function expiringRecord<T extends { id: string; userId: string; createdAt: number; expiresAt: number }>(record: unknown, kind: string): T {
  if (typeof record !== 'object' || record === null) throw new TypeError(`record must be a ${kind} record, got ${describe(record)}`);
  const r = record as T;
  assertDigest(r.id, 'record.id');
  assertUserId(r.userId);
  assertTime(r.createdAt, 'record.createdAt');
  assertTime(r.expiresAt, 'record.expiresAt');
  return r;
}

function copyCode(record: unknown): CodeRecord {
  const c = expiringRecord<CodeRecord>(record, 'code');
  assertDigest(c.digest, 'record.digest');
  assertInteger(c.attemptsLeft, 'record.attemptsLeft', 0, 100);
  return { id: c.id, userId: c.userId, digest: c.digest, createdAt: c.createdAt, expiresAt: c.expiresAt, attemptsLeft: c.attemptsLeft };
}

function copyChallenge(record: unknown): ChallengeRecord {
  const c = expiringRecord<ChallengeRecord>(record, 'challenge');
  assertInteger(c.attemptsLeft, 'record.attemptsLeft', 0, 100);
  return { id: c.id, userId: c.userId, createdAt: c.createdAt, expiresAt: c.expiresAt, attemptsLeft: c.attemptsLeft };
}

function copyDevice(record: unknown): DeviceRecord {
  const d = expiringRecord<DeviceRecord>(record, 'device');
  assertLabel(d.label, 'record.label');
  if (d.lastSeenAt !== null) assertTime(d.lastSeenAt, 'record.lastSeenAt');
  return { id: d.id, userId: d.userId, label: d.label, createdAt: d.createdAt, expiresAt: d.expiresAt, lastSeenAt: d.lastSeenAt };
}

function copyEnrolled(u: EnrolledUser): EnrolledUser {
  return { userId: u.userId, factors: u.factors, kinds: u.kinds.slice(), lastUsedAt: u.lastUsedAt, failures: u.failures };
}
