// Shared pieces of the conformance kit: its own assertions (no node:assert, so
// the kit runs in browsers and under any runner), random ids, record builders
// and the shape of a test case.
import type { Activation, DeviceStore, FactorRecord, ListingStore, MfaStore, OneTimeStore, RecoverySet, StoreSupports, ThrottleSchedule, UserRecord } from '../store/types.js';

/**
 * Thrown by the conformance kit when a store breaks the contract; the
 * message names the method and the expected and actual values.
 *
 * @example
 * try { await run(); } catch (e) { if (e instanceof ConformanceError) report(e.message); }
 */
export class ConformanceError extends Error {
  override name = 'ConformanceError';
}

/** What every test case gets: the store, fresh ids and the raw-storage hook. */
export interface Kit {
  readonly store: MfaStore;
  /** A fresh user id, unique across runs (the prefix, then 96 random bits). */
  user(): string;
  /** The raw storage as text, when the host gave a `rawDump`. */
  readonly dump: (() => Promise<string>) | undefined;
}

/** One conformance test: a name that starts with the method it pins, and its body. */
export interface Case {
  readonly name: string;
  /** The optional capability the test needs; it runs only when `store.supports` has it. */
  readonly needs?: keyof StoreSupports;
  run(kit: Kit): Promise<void>;
}

/** A fixed, recent time base above 2^32 ms: the kit never reads a clock. */
export const T = 1_767_225_600_000;
/** How long the kit's pending factors stay confirmable. */
export const PENDING_MS = 900_000;
/** A schedule that never locks and suspends late: for tests that count. */
export const NO_LOCKS: ThrottleSchedule = { locks: [0], suspendAfter: 1000 };
/** The attempts of a user without failures. */
export const CLEAN = { failures: 0, lockedUntil: null } as const;
/** What `getUser` answers for a user the store does not know. */
export const UNKNOWN_USER: UserRecord = { factors: [], attempts: { failures: 0, lockedUntil: null }, recoveryCodes: 0 };

export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceError(message);
}

/** Deep equality of plain data (`Object.is` on leaves, so `'5'` is not `5`). */
export function equal(actual: unknown, expected: unknown, what: string): void {
  if (deepEqual(actual, expected)) return;
  const at = difference(actual, expected, '');
  const where = at === null || at.path === '' ? '' : ` (first difference at ${at.path}: expected ${describeValue(at.expected)}, got ${describeValue(at.actual)})`;
  throw new ConformanceError(`${what}: expected ${show(expected)}, got ${show(actual)}${where}`);
}

function describeValue(value: unknown): string {
  return value === undefined ? 'nothing' : `${show(value)} (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;
}

/** The first path where two values differ, to point at a string among numbers in a long record. */
function difference(a: unknown, b: unknown, path: string): { path: string; actual: unknown; expected: unknown } | null {
  if (deepEqual(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return { path, actual: a, expected: b };
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(rb), ...Object.keys(ra)])) {
    const d = difference(ra[k], rb[k], Array.isArray(a) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`);
    if (d !== null) return d;
  }
  return { path, actual: a, expected: b };
}

/** Runs `call` and expects it to reject with a TypeError or RangeError (an argument `defineStore()` refuses). */
export async function rejects(call: () => Promise<unknown>, what: string): Promise<void> {
  let settled: Promise<unknown>;
  try {
    settled = call();
  } catch (err) {
    throw new ConformanceError(`${what}: expected a rejected promise, but the call threw synchronously (${show(String(err))})`);
  }
  try {
    const value = await settled;
    throw new ConformanceError(`${what}: expected a rejection with a TypeError, got a result ${show(value)}`);
  } catch (err) {
    if (err instanceof ConformanceError) throw err;
    ok(err instanceof TypeError || err instanceof RangeError, `${what}: expected a TypeError or RangeError, got ${show(String(err))}`);
  }
}

export function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v === undefined ? '(undefined)' : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let out = '';
  for (const b of buf) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A digest as the flows make them: 64 lower-case hex characters. */
export const digest = (): string => randomHex(32);
/** `n` distinct digests. */
export const digests = (n: number): string[] => Array.from({ length: n }, digest);

/** A recovery set of `digests` with its sealed copy (none by default). */
export const recoverySet = (digests: readonly string[], sealed: string | null = null): RecoverySet => ({ digests, sealed });

/** What `activateFactor` writes: the counter, the time, the factor's meta from then on, and the first recovery set. */
export const activation = (counter: number, now: number, codes: readonly string[], meta: string, sealed: string | null = null): Activation => ({ counter, now, meta, recovery: recoverySet(codes, sealed) });
/** A factor id: the alphabet and length `defineStore()` allows. */
export const factorId = (): string => `f_${randomHex(12)}`;
/** A sealed secret as the flows make them: printable ASCII, opaque to the store. */
export const sealed = (): string => `v1.k1.${randomHex(24)}`;

/** A pending factor of `userId`, created at `T`; `over` replaces fields. */
export function pendingFactor(userId: string, over: Partial<FactorRecord> = {}): FactorRecord {
  const createdAt = over.createdAt ?? T;
  return {
    id: factorId(),
    userId,
    kind: 'totp',
    label: `Phone ${randomHex(3)}`,
    state: 'pending',
    secret: sealed(),
    counter: -1,
    createdAt,
    expiresAt: createdAt + PENDING_MS,
    lastUsedAt: null,
    meta: `{"digits":6,"period":30,"n":"${randomHex(4)}"}`,
    ...over,
  };
}

/** Options of `putPendingFactor` with room for many factors. */
export const putOpts = (now = T, maxFactors = 8, replace = false) => ({ now, maxFactors, replace });

/**
 * Stores a pending factor and activates it at `T + 1` with `counter`, issuing
 * `codes` when it is the user's first active factor; returns the record as stored.
 */
export async function activeFactor(store: MfaStore, userId: string, opts: { counter?: number; codes?: readonly string[]; sealed?: string; over?: Partial<FactorRecord> } = {}): Promise<FactorRecord> {
  const rec = pendingFactor(userId, opts.over);
  const put = await store.putPendingFactor(rec, putOpts(rec.createdAt));
  equal(put, { ok: true, factor: rec }, 'putPendingFactor(a new pending factor)');
  const counter = opts.counter ?? 1000;
  const now = rec.createdAt + 1;
  const done = await store.activateFactor(userId, rec.id, activation(counter, now, opts.codes ?? [], rec.meta, opts.sealed ?? null));
  ok(done !== null, `activateFactor(a fresh pending factor): expected a result, got null`);
  return { ...rec, state: 'active', counter, expiresAt: null, lastUsedAt: now };
}

/** The factors of a `getUser` answer, sorted by id (the contract fixes no order). */
export function byId(factors: readonly FactorRecord[]): FactorRecord[] {
  return [...factors].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Reads the user and compares it with the expected record, factors in any order. */
export async function expectUser(store: MfaStore, userId: string, expected: UserRecord, what: string): Promise<void> {
  const got = await store.getUser(userId);
  equal({ ...got, factors: byId(got.factors) }, { ...expected, factors: byId(expected.factors) }, `getUser ${what}`);
}

/** Starts `n` calls at once and waits for all: the raced tests. */
export function concurrently<R>(n: number, call: (i: number) => Promise<R>): Promise<R[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
}

export function countWhere<V>(values: readonly V[], pred: (v: V) => boolean): number {
  let n = 0;
  for (const v of values) if (pred(v)) n++;
  return n;
}

/** Adds `n` failures to a user who has an active factor, with a schedule that never locks. */
export async function fail(store: MfaStore, userId: string, n: number, now = T, schedule: ThrottleSchedule = NO_LOCKS): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.beginAttempt(userId, 'active', now, schedule);
    ok(r.reservation?.allowed === true, `beginAttempt(failure ${i + 1} of ${n}): expected an allowed reservation, got ${show(r.reservation)}`);
  }
}

const ONE_TIME_METHODS = ['putCode', 'beginCodeAttempt', 'acceptCode', 'deleteCode', 'putChallenge', 'spendChallenge', 'deleteChallenge'] as const;

/** The one-time methods of a store whose manifest claims them; a missing one is a failure naming it. */
export function oneTime(store: MfaStore): OneTimeStore {
  for (const m of ONE_TIME_METHODS) ok(typeof store[m] === 'function', `supports.oneTime is true but the store has no ${m} method`);
  return store as MfaStore & OneTimeStore;
}

const DEVICE_METHODS = ['putDevice', 'touchDevice', 'listDevices', 'revokeDevice', 'revokeAllDevices'] as const;

/** The device methods of a store whose manifest claims them; a missing one is a failure naming it. */
export function devices(store: MfaStore): DeviceStore {
  for (const m of DEVICE_METHODS) ok(typeof store[m] === 'function', `supports.devices is true but the store has no ${m} method`);
  return store as MfaStore & DeviceStore;
}

const LISTING_METHODS = ['listEnrolled', 'countEnrolled'] as const;

/** The listing methods of a store whose manifest claims them; a missing one is a failure naming it. */
export function listing(store: MfaStore): ListingStore {
  for (const m of LISTING_METHODS) ok(typeof store[m] === 'function', `supports.listing is true but the store has no ${m} method`);
  return store as MfaStore & ListingStore;
}
