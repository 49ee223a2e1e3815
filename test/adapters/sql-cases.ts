// Cases that the Postgres and MySQL suites run alike: the round trips of
// every method, purgeExpired, and the options both factories check.
import { describe, expect, test } from 'vitest';
import { isMfaError } from '../../src/errors.js';
import { runStoreConformance } from '../../src/testing/index.js';
import type { SqlStore } from '../../src/adapters/sql.js';
import type { FactorRecord } from '../../src/store/types.js';

/** 2026-01-01T00:00:00Z in ms. */
export const T = 1_767_225_600_000;
export const SCHEDULE = { locks: [0, 0, 1000], suspendAfter: 10 };
/** The tables of a store, without the prefix. */
export const TABLES = ['factors_v2', 'attempts_v2', 'recovery_v2', 'codes_v2', 'challenges_v2', 'devices_v2'];

/** A pending TOTP factor whose sealed secret is `sealed:<id>`. */
export function pending(userId: string, id: string, label: string, now = T): FactorRecord {
  return { id, userId, kind: 'totp', label, state: 'pending', secret: `sealed:${id}`, counter: -1, createdAt: now, expiresAt: now + 1000, lastUsedAt: null, meta: '{}' };
}

/** Wraps `methods` of `inner` to count the calls: one call is one round trip. */
export function countingClient<C extends object, M extends keyof C & string>(inner: C, methods: M[]): Pick<C, M> & { calls: number } {
  const counted = { calls: 0 } as Pick<C, M> & { calls: number };
  for (const m of methods) {
    const method = inner[m] as (...args: unknown[]) => unknown;
    (counted as Record<string, unknown>)[m] = (...args: unknown[]) => {
      counted.calls++;
      return method.apply(inner, args);
    };
  }
  return counted;
}

/** What `fn` throws, or undefined. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Runs the conformance kit once per entry of `runs` (a store per client mode), on the same tables. */
export function conformanceRuns(runs: Record<string, () => SqlStore>, rawDump: () => Promise<string>): void {
  for (const [name, createStore] of Object.entries(runs)) {
    describe(`conformance kit, ${name}`, () => runStoreConformance({ describe, test, createStore, rawDump }));
  }
}

/**
 * Registers the case that every method costs one round trip: `counted()`
 * answers a store over a client that counts its calls.
 */
export function roundTripCases(counted: () => { store: SqlStore; calls: () => number }): void {
  test('every method is one round trip: a right TOTP code costs 2, a wrong one 1', async () => {
    const { store: s, calls } = counted();
    const u = `rt-${crypto.randomUUID()}`;
    const digest = 'ab'.repeat(32);
    const steps: [string, () => Promise<unknown>][] = [
      ['putPendingFactor', () => s.putPendingFactor(pending(u, 'f1', 'phone'), { now: T, maxFactors: 8, replace: false })],
      ['beginAttempt pending', () => s.beginAttempt(u, 'pending', T, SCHEDULE)],
      ['activateFactor', () => s.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery: { digests: [digest], sealed: 'v1.k.SEALED' } })],
      ['beginAttempt', () => s.beginAttempt(u, 'active', T, SCHEDULE)],
      ['advanceCounter', () => s.advanceCounter(u, 'f1', 2, T)],
      ['refundAttempt', () => s.refundAttempt(u, SCHEDULE)],
      ['consumeRecoveryCode', () => s.consumeRecoveryCode(u, digest)],
      ['replaceRecoveryCodes', () => s.replaceRecoveryCodes(u, { digests: [digest], sealed: null })],
      ['getRecoveryCodes', () => s.getRecoveryCodes(u)],
      ['getUser', () => s.getUser(u)],
      ['renameFactor', () => s.renameFactor(u, 'f1', 'work')],
      ['resealFactor', () => s.resealFactor(u, 'f1', 'sealed:f1', 't')],
      ['putCode', () => s.putCode!({ id: digest, userId: u, digest, createdAt: T, expiresAt: T + 10, attemptsLeft: 5 }, 0)],
      ['beginCodeAttempt', () => s.beginCodeAttempt!(u, digest, T, SCHEDULE)],
      ['acceptCode', () => s.acceptCode!(u, digest, SCHEDULE)],
      ['deleteCode', () => s.deleteCode!(u, digest)],
      ['putChallenge', () => s.putChallenge!({ id: digest, userId: u, createdAt: T, expiresAt: T + 10, attemptsLeft: 5 })],
      ['spendChallenge', () => s.spendChallenge!(digest, T)],
      ['deleteChallenge', () => s.deleteChallenge!(digest)],
      ['putDevice', () => s.putDevice!({ id: digest, userId: u, label: 'Firefox', createdAt: T, expiresAt: T + 10, lastSeenAt: null })],
      ['touchDevice', () => s.touchDevice!(u, digest, T)],
      ['listDevices', () => s.listDevices!(u, T)],
      ['revokeDevice', () => s.revokeDevice!(u, digest)],
      ['revokeAllDevices', () => s.revokeAllDevices!(u)],
      ['listEnrolled', () => s.listEnrolled!({ cursor: u, limit: 10 })],
      ['countEnrolled', () => s.countEnrolled!()],
      ['removeFactor', () => s.removeFactor(u, 'f1')],
      ['deleteUser', () => s.deleteUser(u)],
      ['purgeExpired', () => s.purgeExpired(0)],
    ];
    for (const [name, step] of steps) {
      const before = calls();
      await step();
      expect(`${name}: ${calls() - before}`).toBe(`${name}: 1`);
    }
  });
}

/** Registers the case of `purgeExpired` on `store()`, a migrated store. */
export function purgeExpiredCases(store: () => SqlStore): void {
  test('purgeExpired drops expired challenges, codes and pending factors only', async () => {
    const s = store();
    const u = `purge-${crypto.randomUUID()}`;
    const id = (c: string): string => c.repeat(64);
    await s.putPendingFactor({ ...pending(u, 'f1', 'phone', 100), expiresAt: 200 }, { now: 100, maxFactors: 8, replace: false });
    await s.putChallenge!({ id: id('1'), userId: u, createdAt: 100, expiresAt: 200, attemptsLeft: 5 });
    await s.putChallenge!({ id: id('2'), userId: u, createdAt: 100, expiresAt: 10_000_000_000_000, attemptsLeft: 5 });
    await s.putCode!({ id: id('3'), userId: u, digest: id('4'), createdAt: 100, expiresAt: 200, attemptsLeft: 5 }, 0);
    expect(await s.purgeExpired(300)).toBeGreaterThanOrEqual(3);
    expect((await s.getUser(u)).factors).toEqual([]);
    expect(await s.deleteCode!(u, id('3'))).toBe(false);
    expect(await s.deleteChallenge!(id('1'))).toBe(false);
    expect(await s.deleteChallenge!(id('2'))).toBe(true);
  });
}

/** Registers the option cases both factories share; `create(opts)` makes a store over a client that answers nothing. */
export function optionCases(create: (opts: { tablePrefix?: string }) => SqlStore): void {
  test.each([['x-y'], [''], ['1abc'], ['a"; DROP TABLE users; --'], ['a`; DROP TABLE users; --'], ['a'.repeat(41)]])('tablePrefix %j is refused', (p) => {
    expect(isMfaError(thrown(() => create({ tablePrefix: p })), 'INVALID_CONFIG')).toBe(true);
  });
  test('options that are not an object are refused', () => {
    expect(isMfaError(thrown(() => create(null as never)), 'INVALID_CONFIG')).toBe(true);
  });
  test('the store has the v2 manifest and its own methods', () => {
    const s = create({});
    expect(s.supports).toEqual({ oneTime: true, devices: true, listing: true });
    expect(typeof s.migrate).toBe('function');
    expect(typeof s.purgeExpired).toBe('function');
  });
}
