import type { MfaStore } from '../store/types.js';
import { attemptCases } from './attempts.js';
import { factorCases } from './factors.js';
import { deviceCases } from './devices.js';
import { type Case, type Kit, randomHex } from './kit.js';
import { listingCases } from './listing.js';
import { oneTimeCases } from './one-time.js';
import { plaintextCases } from './plaintext.js';
import { recoveryCases } from './recovery.js';
import { valueCases } from './values.js';

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions {
  /**
   * Registers one test, as `test`/`it` of vitest, jest, mocha or `node:test`
   * do. The kit's test bodies are async and throw a `ConformanceError` on failure.
   */
  test: (name: string, fn: (context?: unknown) => Promise<void>) => unknown;
  /** Groups the tests, as `describe` of those runners. @default no grouping */
  describe?: (name: string, fn: () => void) => unknown;
  /**
   * Returns the store under test. Called once per test; it may return the
   * same shared store every time, because every test uses fresh random user
   * and challenge ids and never assumes the database is empty, and tests
   * may run in parallel.
   */
  createStore: () => MfaStore | Promise<MfaStore>;
  /** Called after each test with the store `createStore` returned. @default nothing */
  releaseStore?: (store: MfaStore) => void | Promise<void>;
  /** Prefix of the random user ids, to find the kit's rows later. @default 'mfakit-conformance-' */
  idPrefix?: string;
  /**
   * The raw-storage hook: everything the store holds, as text (rows as JSON,
   * `SELECT` output, Redis keys and values). When given, the kit also checks
   * that raw storage shows what was written verbatim, that what a method
   * deleted is gone from it, and that reads and refused writes leave no
   * trace; see {@link plaintextCases}. Called with the test's store.
   * @default no raw-storage tests
   */
  rawDump?: (store: MfaStore) => string | Promise<string>;
}

const GROUPS: ReadonlyArray<readonly [string, readonly Case[]]> = [
  ['factors', factorCases],
  ['attempts', attemptCases],
  ['recovery codes', recoveryCases],
  ['one-time records', oneTimeCases],
  ['trusted devices', deviceCases],
  ['listing', listingCases],
  ['values', valueCases],
];

/**
 * Registers the conformance suite of the MfaStore v2 contract with the host's
 * test runner: every method's contract and edge cases, grouped by capability,
 * and raced tests that start many calls at once and prove each atomic step
 * happens exactly once (`advanceCounter`, `consumeRecoveryCode`,
 * `activateFactor`, `deleteChallenge`), counts exactly (`beginAttempt`,
 * `refundAttempt`), never hands out more than it holds (`spendChallenge`,
 * `beginCodeAttempt`, `putPendingFactor` under `maxFactors`) or leaves one
 * whole result (`replaceRecoveryCodes`); a device is revoked exactly once
 * and no touch racing its revocation brings it back (`revokeDevice`,
 * `touchDevice`); paging the enrolled users covers each exactly once
 * (`listEnrolled`, on a range of user ids of its own, so a shared store works).
 *
 * A capability's tests run only when the store's own `supports` manifest
 * claims it; otherwise the test is skipped through the runner's context when
 * it offers one (vitest, `node:test`, mocha) and passes empty when it does not (jest).
 * The kit uses its own assertions, so it runs in browsers too: a failure
 * throws a `ConformanceError` naming the method and the expected and actual values.
 *
 * @param opts - `test`, `createStore`, and optionally `describe`, `releaseStore`, `idPrefix`, `rawDump`
 * @returns nothing; the tests are registered with `opts.test`
 * @throws {TypeError} when `test` or `createStore` is not a function, or an optional option has the wrong type
 * @example
 * // vitest (jest, mocha and node:test look the same)
 * import { describe, test } from 'vitest';
 * import { runStoreConformance } from 'mfakit/testing';
 * const store = createPostgresStore({ client: pool });
 * runStoreConformance({ describe, test, createStore: () => store, rawDump: () => dumpTables(pool) });
 */
export function runStoreConformance(opts: StoreConformanceOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('runStoreConformance expects an options object');
  if (typeof opts.test !== 'function') throw new TypeError('opts.test must be a function (test or it of your runner)');
  if (typeof opts.createStore !== 'function') throw new TypeError('opts.createStore must be a function returning an MfaStore');
  for (const name of ['describe', 'releaseStore', 'rawDump'] as const) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function') throw new TypeError(`opts.${name} must be a function`);
  }
  if (opts.idPrefix !== undefined && typeof opts.idPrefix !== 'string') throw new TypeError('opts.idPrefix must be a string');
  const prefix = opts.idPrefix ?? 'mfakit-conformance-';
  const { test, describe, createStore, releaseStore, rawDump } = opts;
  const group = (name: string, body: () => void): void => {
    if (describe) describe(name, body);
    else body();
  };

  const register = (c: Case): void => {
    // A regular function: mocha passes its context as `this`.
    test(c.name, async function (this: unknown, context?: unknown) {
      const store = await createStore();
      try {
        if (c.needs !== undefined && store.supports[c.needs] !== true) {
          skip(this, context);
          return;
        }
        const kit: Kit = {
          store,
          user: () => prefix + randomHex(12),
          dump: rawDump === undefined ? undefined : async () => String(await rawDump(store)),
        };
        await c.run(kit);
      } finally {
        await releaseStore?.(store);
      }
    });
  };

  group('MfaStore conformance', () => {
    for (const [name, cases] of GROUPS) group(name, () => cases.forEach(register));
    if (rawDump !== undefined) group('raw storage', () => plaintextCases.forEach(register));
  });
}

/** Marks the running test skipped when the runner offers a way to (vitest `ctx.skip`, node:test `t.skip`, mocha `this.skip`). */
function skip(self: unknown, context: unknown): void {
  for (const holder of [context, self]) {
    const fn = (typeof holder === 'object' || typeof holder === 'function') && holder !== null ? (holder as { skip?: unknown }).skip : undefined;
    if (typeof fn === 'function') {
      fn.call(holder);
      return;
    }
  }
}
