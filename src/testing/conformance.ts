import type { ChallengeRecord, FactorRecord, MfaStore, ThrottlePolicy } from '../store/types.js';
import { equal, ok } from './assert.js';

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions {
  /**
   * Registers one test, as `test`/`it` of vitest, jest, mocha or `node:test`
   * do. The kit's test bodies are async and throw on failure.
   */
  test: (name: string, fn: () => Promise<void>) => unknown;
  /** Groups the tests, as `describe` of those runners. @default no grouping */
  describe?: (name: string, fn: () => void) => unknown;
  /**
   * Returns the store under test. Called once per test; it may return the
   * same shared store every time, because every test uses fresh random user
   * and challenge ids and never assumes the database is empty.
   */
  createStore: () => MfaStore | Promise<MfaStore>;
  /** Called after each test with the store `createStore` returned. @default nothing */
  releaseStore?: (store: MfaStore) => void | Promise<void>;
  /** Prefix of the random user and challenge ids, to find test rows later. @default 'mfakit-conformance-' */
  idPrefix?: string;
}

/** The defaults of DESIGN: 5 free failures, 30 s doubling to 15 min, suspension at 100. */
const POLICY: ThrottlePolicy = { freeFailures: 5, baseLockMs: 30_000, maxLockMs: 900_000, suspendAfter: 100 };
/** A fixed, recent time base: the kit never reads a clock. */
const T = 1_767_225_600_000;
const PENDING_TTL = 900_000;

/**
 * Registers the conformance suite of the {@link MfaStore} contract with the
 * host's test runner: every method, its edge cases, and parallel tests that
 * prove the atomic ones succeed exactly once (50 concurrent `claimStep`, 30
 * concurrent `consumeRecoveryCode`, 40 concurrent `reserveAttempt`,
 * concurrent `activateFactor` and `consumeChallenge`) or act as one step (20
 * concurrent `replaceRecoveryCodes` leave exactly one caller's set).
 *
 * The kit uses its own assertions (no `node:assert`, so it runs in browsers
 * too): a failure throws a `ConformanceError` whose message names the method
 * and the expected and actual values.
 *
 * @param opts - `test`, `createStore`, and optionally `describe`, `releaseStore`, `idPrefix`
 * @returns nothing; the tests are registered with `opts.test`
 * @throws {TypeError} when `test` or `createStore` is not a function
 * @example
 * // vitest (jest and node:test look the same)
 * import { describe, test } from 'vitest';
 * import { runStoreConformance } from 'mfakit/testing';
 * runStoreConformance({ describe, test, createStore: () => new PostgresStore(pool) });
 */
export function runStoreConformance(opts: StoreConformanceOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('runStoreConformance expects an options object');
  if (typeof opts.test !== 'function') throw new TypeError('opts.test must be a function (test or it of your runner)');
  if (typeof opts.createStore !== 'function') throw new TypeError('opts.createStore must be a function returning an MfaStore');
  if (opts.describe !== undefined && typeof opts.describe !== 'function') throw new TypeError('opts.describe must be a function');
  const prefix = opts.idPrefix ?? 'mfakit-conformance-';
  const id = (): string => prefix + randomHex(12);

  const register = (): void => {
    for (const [name, body] of cases(id)) {
      opts.test(name, async () => {
        const store = await opts.createStore();
        try {
          await body(store);
        } finally {
          await opts.releaseStore?.(store);
        }
      });
    }
  };
  if (opts.describe) opts.describe('MfaStore conformance', register);
  else register();
}

type Case = [name: string, body: (store: MfaStore) => Promise<void>];

function cases(id: () => string): Case[] {
  const pending = (userId: string, over: Partial<FactorRecord> = {}): FactorRecord => ({
    userId,
    state: 'pending',
    secret: `sealed-${randomHex(16)}`,
    createdAt: T,
    expiresAt: T + PENDING_TTL,
    lastStep: -1,
    ...over,
  });
  const active = async (store: MfaStore, userId: string, step = 1000, hashes: readonly string[] = []): Promise<FactorRecord> => {
    const rec = pending(userId);
    ok(await store.putPendingFactor(rec), 'putPendingFactor for a new user returned false');
    ok(await store.activateFactor(userId, rec.secret, step, T + 1, hashes), 'activateFactor of a fresh pending factor returned false');
    return { ...rec, state: 'active', createdAt: T + 1, expiresAt: null, lastStep: step };
  };
  const challenge = (userId: string, over: Partial<ChallengeRecord> = {}): ChallengeRecord => ({
    userId,
    purpose: 'sign-in',
    digest: randomHex(32),
    destination: '',
    createdAt: T,
    expiresAt: T + 300_000,
    attemptsLeft: 5,
    ...over,
  });
  const hashes = (n: number): string[] => Array.from({ length: n }, () => randomHex(32));
  const noAttempts = { failures: 0, lockedUntil: null };

  return [
    // ── factor records ────────────────────────────────────────────────
    ['getFactor: null for an unknown user', async (s) => {
      equal(await s.getFactor(id()), null, 'getFactor(unknown)');
    }],
    ['putPendingFactor: stores the record as given', async (s) => {
      const rec = pending(id());
      equal(await s.putPendingFactor(rec), true, 'putPendingFactor(new user)');
      equal(await s.getFactor(rec.userId), rec, 'getFactor after putPendingFactor');
    }],
    ['putPendingFactor: replaces a pending factor', async (s) => {
      const u = id();
      await s.putPendingFactor(pending(u));
      const second = pending(u, { createdAt: T + 5, expiresAt: T + 5 + PENDING_TTL });
      equal(await s.putPendingFactor(second), true, 'putPendingFactor over a pending factor');
      equal(await s.getFactor(u), second, 'getFactor after replacing the pending factor');
    }],
    ['putPendingFactor: never replaces an active factor', async (s) => {
      const u = id();
      const act = await active(s, u);
      equal(await s.putPendingFactor(pending(u)), false, 'putPendingFactor over an active factor');
      equal(await s.getFactor(u), act, 'getFactor after a refused putPendingFactor');
    }],
    ['getFactor: a returned record is a copy', async (s) => {
      const rec = pending(id());
      await s.putPendingFactor(rec);
      const got = await s.getFactor(rec.userId);
      ok(got !== null, 'getFactor returned null after putPendingFactor');
      got.lastStep = 99;
      got.secret = 'changed';
      equal(await s.getFactor(rec.userId), rec, 'getFactor after mutating a returned record');
    }],
    ['activateFactor: activates, claims the step and stores the recovery codes', async (s) => {
      const rec = pending(id());
      const codes = hashes(10);
      await s.putPendingFactor(rec);
      equal(await s.activateFactor(rec.userId, rec.secret, 4242, T + 10, codes), true, 'activateFactor');
      equal(await s.getFactor(rec.userId), { ...rec, state: 'active', createdAt: T + 10, expiresAt: null, lastStep: 4242 }, 'getFactor after activateFactor');
      equal(await s.countRecoveryCodes(rec.userId), 10, 'countRecoveryCodes after activateFactor');
      equal(await s.consumeRecoveryCode(rec.userId, codes[3] as string), true, 'consumeRecoveryCode of an activated code');
      equal(await s.claimStep(rec.userId, 4242), false, 'claimStep of the step claimed by activateFactor');
    }],
    ['activateFactor: replaces recovery codes left from before', async (s) => {
      const u = id();
      const old = hashes(3);
      await s.replaceRecoveryCodes(u, old);
      const rec = pending(u);
      await s.putPendingFactor(rec);
      const fresh = hashes(2);
      equal(await s.activateFactor(u, rec.secret, 1, T + 1, fresh), true, 'activateFactor');
      equal(await s.countRecoveryCodes(u), 2, 'countRecoveryCodes after activateFactor');
      equal(await s.consumeRecoveryCode(u, old[0] as string), false, 'consumeRecoveryCode of a code from before activation');
    }],
    ['activateFactor: refuses a different expectedSecret', async (s) => {
      const rec = pending(id());
      await s.putPendingFactor(rec);
      equal(await s.activateFactor(rec.userId, `${rec.secret}x`, 1, T + 1, hashes(2)), false, 'activateFactor(wrong secret)');
      equal(await s.getFactor(rec.userId), rec, 'getFactor after a refused activateFactor');
      equal(await s.countRecoveryCodes(rec.userId), 0, 'countRecoveryCodes after a refused activateFactor');
    }],
    ['activateFactor: refuses an expired pending factor (expiresAt <= now)', async (s) => {
      const rec = pending(id());
      await s.putPendingFactor(rec);
      equal(await s.activateFactor(rec.userId, rec.secret, 1, T + PENDING_TTL, hashes(1)), false, 'activateFactor at expiresAt');
      equal(await s.activateFactor(rec.userId, rec.secret, 1, T + PENDING_TTL + 1, hashes(1)), false, 'activateFactor after expiresAt');
      equal(await s.getFactor(rec.userId), rec, 'getFactor after refused activations');
      equal(await s.activateFactor(rec.userId, rec.secret, 1, T + PENDING_TTL - 1, []), true, 'activateFactor 1 ms before expiresAt');
    }],
    ['activateFactor: refuses when the factor is active or missing', async (s) => {
      const u = id();
      const act = await active(s, u, 7);
      equal(await s.activateFactor(u, act.secret, 8, T + 2, hashes(1)), false, 'activateFactor of an active factor');
      equal(await s.getFactor(u), act, 'getFactor after a refused activateFactor');
      equal(await s.activateFactor(id(), 'sealed', 1, T, []), false, 'activateFactor of an unknown user');
    }],
    ['updateFactorSecret: compare-and-set', async (s) => {
      const u = id();
      const act = await active(s, u, 12);
      equal(await s.updateFactorSecret(u, 'not-the-secret', 'new-1'), false, 'updateFactorSecret(wrong expected)');
      equal(await s.getFactor(u), act, 'getFactor after a refused updateFactorSecret');
      equal(await s.updateFactorSecret(u, act.secret, 'new-2'), true, 'updateFactorSecret(right expected)');
      equal(await s.getFactor(u), { ...act, secret: 'new-2' }, 'getFactor after updateFactorSecret');
      equal(await s.updateFactorSecret(u, act.secret, 'new-3'), false, 'updateFactorSecret with the old secret again');
      equal(await s.updateFactorSecret(id(), 'a', 'b'), false, 'updateFactorSecret of an unknown user');
    }],

    // ── replay: claimStep ─────────────────────────────────────────────
    ['claimStep: only later steps, only when active', async (s) => {
      const u = id();
      equal(await s.claimStep(u, 5), false, 'claimStep of an unknown user');
      await s.putPendingFactor(pending(u));
      equal(await s.claimStep(u, 5), false, 'claimStep of a pending factor');
      await s.activateFactor(u, (await s.getFactor(u))?.secret ?? '', 100, T + 1, []);
      equal(await s.claimStep(u, 99), false, 'claimStep below lastStep');
      equal(await s.claimStep(u, 100), false, 'claimStep equal to lastStep');
      equal(await s.claimStep(u, 101), true, 'claimStep(lastStep + 1)');
      equal(await s.claimStep(u, 101), false, 'claimStep of the same step twice');
      equal(await s.claimStep(u, 2 ** 40), true, 'claimStep of a large later step');
      equal(await s.claimStep(u, 102), false, 'claimStep of an earlier step after a later one');
      equal((await s.getFactor(u))?.lastStep, 2 ** 40, 'lastStep after claims');
    }],
    ['claimStep: 50 concurrent claims of one step succeed exactly once', async (s) => {
      const u = id();
      await active(s, u, 10);
      const results = await Promise.all(Array.from({ length: 50 }, () => s.claimStep(u, 11)));
      equal(results.filter((r) => r === true).length, 1, 'successful concurrent claimStep calls');
      equal((await s.getFactor(u))?.lastStep, 11, 'lastStep after concurrent claims');
    }],
    ['claimStep: concurrent claims of different steps end at the largest', async (s) => {
      const u = id();
      await active(s, u, 0);
      const steps = shuffle(Array.from({ length: 30 }, (_, i) => i + 1));
      const results = await Promise.all(steps.map((step) => s.claimStep(u, step)));
      equal(results[steps.indexOf(30)], true, 'claimStep of the largest step');
      equal((await s.getFactor(u))?.lastStep, 30, 'lastStep after concurrent claims');
    }],

    // ── throttling: reserveAttempt ────────────────────────────────────
    ['getAttempts: zero and unlocked for an unknown user', async (s) => {
      equal(await s.getAttempts(id()), noAttempts, 'getAttempts(unknown)');
    }],
    ['reserveAttempt: 5 free failures, then 30 s doubling to the 15 min cap', async (s) => {
      const u = id();
      let now = T;
      for (let i = 1; i <= 4; i++) {
        equal(await s.reserveAttempt(u, now, POLICY), { allowed: true, failures: i, lockedUntil: null, suspended: false }, `reservation ${i}`);
      }
      const locks = [30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000];
      for (const [k, lock] of locks.entries()) {
        const failures = 5 + k;
        const r = await s.reserveAttempt(u, now, POLICY);
        equal(r, { allowed: true, failures, lockedUntil: now + lock, suspended: false }, `reservation ${failures} at the end of the previous lock`);
        equal(await s.getAttempts(u), { failures, lockedUntil: now + lock }, `getAttempts after reservation ${failures}`);
        const early = await s.reserveAttempt(u, now + lock - 1, POLICY);
        equal(early, { allowed: false, failures, lockedUntil: now + lock, suspended: false }, `reservation 1 ms before the lock of ${lock} ms ends`);
        now += lock;
      }
    }],
    ['reserveAttempt: follows the policy it is given', async (s) => {
      const u = id();
      const policy: ThrottlePolicy = { freeFailures: 2, baseLockMs: 1000, maxLockMs: 3000, suspendAfter: 5 };
      const seen = [];
      let now = T;
      for (let i = 0; i < 5; i++) {
        const r = await s.reserveAttempt(u, now, policy);
        seen.push(r);
        now = r.lockedUntil ?? now;
      }
      equal(seen, [
        { allowed: true, failures: 1, lockedUntil: null, suspended: false },
        { allowed: true, failures: 2, lockedUntil: T + 1000, suspended: false },
        { allowed: true, failures: 3, lockedUntil: T + 1000 + 2000, suspended: false },
        { allowed: true, failures: 4, lockedUntil: T + 3000 + 3000, suspended: false },
        { allowed: true, failures: 5, lockedUntil: T + 6000 + 3000, suspended: true },
      ], 'reservations under a custom policy');
      equal(await s.reserveAttempt(u, now + 10 ** 9, policy), { allowed: false, failures: 5, lockedUntil: T + 9000, suspended: true }, 'reservation after suspension');
    }],
    ['reserveAttempt: 100 consecutive failures suspend until deleteUser', async (s) => {
      const u = id();
      await active(s, u);
      let now = T;
      let last = await s.reserveAttempt(u, now, POLICY);
      for (let i = 2; i <= 100; i++) {
        now = last.lockedUntil ?? now;
        last = await s.reserveAttempt(u, now, POLICY);
        ok(last.allowed, `reservation ${i} after the lock ended was refused`);
        equal(last.failures, i, `failures after reservation ${i}`);
        equal(last.suspended, i >= 100, `suspended after reservation ${i}`);
      }
      const after = await s.reserveAttempt(u, now + 10 ** 10, POLICY);
      equal([after.allowed, after.failures, after.suspended], [false, 100, true], 'reservation after 100 failures (allowed, failures, suspended)');
      equal((await s.getAttempts(u)).failures, 100, 'getAttempts after suspension');
      await s.deleteUser(u);
      equal(await s.getAttempts(u), noAttempts, 'getAttempts after deleteUser');
      equal((await s.reserveAttempt(u, now, POLICY)).allowed, true, 'reservation after deleteUser');
    }],
    ['clearFailures: resets failures and lock', async (s) => {
      const u = id();
      for (let i = 0; i < 5; i++) await s.reserveAttempt(u, T, POLICY);
      equal((await s.reserveAttempt(u, T + 1, POLICY)).allowed, false, 'reservation while locked');
      await s.clearFailures(u);
      equal(await s.getAttempts(u), noAttempts, 'getAttempts after clearFailures');
      equal(await s.reserveAttempt(u, T + 1, POLICY), { allowed: true, failures: 1, lockedUntil: null, suspended: false }, 'reservation after clearFailures');
      await s.clearFailures(id());
    }],
    ['reserveAttempt: 40 concurrent reservations let exactly freeFailures through', async (s) => {
      const u = id();
      const results = await Promise.all(Array.from({ length: 40 }, () => s.reserveAttempt(u, T, POLICY)));
      const allowed = results.filter((r) => r.allowed);
      equal(allowed.length, POLICY.freeFailures, 'allowed concurrent reservations');
      equal(allowed.map((r) => r.failures).sort((a, b) => a - b), [1, 2, 3, 4, 5], 'failures of the allowed reservations');
      equal(allowed.find((r) => r.failures === 5)?.lockedUntil, T + 30_000, 'lock set by the reservation reaching freeFailures');
      ok(results.every((r) => r.allowed || (r.failures === 5 && r.lockedUntil === T + 30_000)), 'a refused concurrent reservation reported another state than 5 failures locked until T + 30 s');
      equal(await s.getAttempts(u), { failures: 5, lockedUntil: T + 30_000 }, 'getAttempts after concurrent reservations');
    }],
    ['reserveAttempt: users are throttled independently', async (s) => {
      const a = id();
      const b = id();
      for (let i = 0; i < 5; i++) await s.reserveAttempt(a, T, POLICY);
      equal(await s.getAttempts(b), noAttempts, 'getAttempts of another user');
      equal((await s.reserveAttempt(b, T, POLICY)).allowed, true, 'reservation of another user');
    }],

    // ── recovery codes ────────────────────────────────────────────────
    ['recovery codes: replace, count, consume once', async (s) => {
      const u = id();
      equal(await s.countRecoveryCodes(u), 0, 'countRecoveryCodes(unknown)');
      equal(await s.consumeRecoveryCode(u, randomHex(32)), false, 'consumeRecoveryCode(unknown user)');
      const set = hashes(10);
      await s.replaceRecoveryCodes(u, set);
      equal(await s.countRecoveryCodes(u), 10, 'countRecoveryCodes after replace');
      equal(await s.consumeRecoveryCode(u, set[4] as string), true, 'consumeRecoveryCode');
      equal(await s.consumeRecoveryCode(u, set[4] as string), false, 'consumeRecoveryCode of a used code');
      equal(await s.consumeRecoveryCode(u, randomHex(32)), false, 'consumeRecoveryCode of an unknown digest');
      equal(await s.countRecoveryCodes(u), 9, 'countRecoveryCodes after one use');
    }],
    ['recovery codes: replace drops the whole old set; [] deletes', async (s) => {
      const u = id();
      const old = hashes(10);
      await s.replaceRecoveryCodes(u, old);
      const fresh = hashes(3);
      await s.replaceRecoveryCodes(u, fresh);
      equal(await s.countRecoveryCodes(u), 3, 'countRecoveryCodes after a second replace');
      for (const h of old) equal(await s.consumeRecoveryCode(u, h), false, 'consumeRecoveryCode of a replaced code');
      equal(await s.consumeRecoveryCode(u, fresh[0] as string), true, 'consumeRecoveryCode of a new code');
      await s.replaceRecoveryCodes(u, []);
      equal(await s.countRecoveryCodes(u), 0, 'countRecoveryCodes after replace([])');
      equal(await s.consumeRecoveryCode(u, fresh[1] as string), false, 'consumeRecoveryCode after replace([])');
    }],
    ['recovery codes: one user cannot consume another user\'s code', async (s) => {
      const a = id();
      const b = id();
      const set = hashes(2);
      await s.replaceRecoveryCodes(a, set);
      equal(await s.consumeRecoveryCode(b, set[0] as string), false, 'consumeRecoveryCode by another user');
      equal(await s.countRecoveryCodes(a), 2, 'countRecoveryCodes of the owner');
    }],
    ['consumeRecoveryCode: 30 concurrent consumptions of one code succeed exactly once', async (s) => {
      const u = id();
      const set = hashes(10);
      await s.replaceRecoveryCodes(u, set);
      const results = await Promise.all(Array.from({ length: 30 }, () => s.consumeRecoveryCode(u, set[7] as string)));
      equal(results.filter((r) => r === true).length, 1, 'successful concurrent consumeRecoveryCode calls');
      equal(await s.countRecoveryCodes(u), 9, 'countRecoveryCodes after concurrent consumption');
    }],
    ['replaceRecoveryCodes: 20 concurrent replacements leave exactly one whole set', async (s) => {
      // With no set stored yet and over an existing set, three rounds each (a lost
      // update may not show in every round): each replacement is one step, so the
      // survivor is one caller's set, never a mix or a union.
      for (let round = 0; round < 6; round++) {
        const before = round % 2 === 0 ? [] : hashes(10);
        const u = id();
        if (before.length > 0) await s.replaceRecoveryCodes(u, before);
        const sets = Array.from({ length: 20 }, () => hashes(10));
        await Promise.all(sets.map((set) => s.replaceRecoveryCodes(u, set)));
        const label = before.length > 0 ? 'over an existing set' : 'with no set stored';
        equal(await s.countRecoveryCodes(u), 10, `countRecoveryCodes after concurrent replacements ${label}`);
        // One code at a time: this case is about replacement, not concurrent consumption.
        const consumed: number[] = [];
        for (const set of sets) {
          let n = 0;
          for (const h of set) if (await s.consumeRecoveryCode(u, h)) n++;
          consumed.push(n);
        }
        equal(consumed.slice().sort((a, b) => a - b), [...Array<number>(19).fill(0), 10], `codes consumable per concurrent set ${label} (sorted)`);
        for (const h of before) equal(await s.consumeRecoveryCode(u, h), false, `consumeRecoveryCode of a code replaced ${label}`);
        equal(await s.countRecoveryCodes(u), 0, `countRecoveryCodes after consuming the surviving set ${label}`);
      }
    }],

    // ── challenges ────────────────────────────────────────────────────
    ['consumeChallenge: missing id', async (s) => {
      const r = await s.consumeChallenge(id(), 'sign-in', randomHex(32), T);
      equal([r.ok, r.ok ? null : r.reason], [false, 'missing'], 'consumeChallenge(unknown id)');
    }],
    ['putChallenge + consumeChallenge: right answer succeeds once and returns the record', async (s) => {
      const c = id();
      const rec = challenge(id(), { purpose: 'email:verify', destination: 'jane@example.com' });
      equal(await s.putChallenge(c, rec, 60_000), true, 'putChallenge');
      equal(await s.consumeChallenge(c, rec.purpose, rec.digest, T + 1), { ok: true, record: rec }, 'consumeChallenge(right)');
      const again = await s.consumeChallenge(c, rec.purpose, rec.digest, T + 2);
      equal([again.ok, again.ok ? null : again.reason], [false, 'missing'], 'consumeChallenge after success');
    }],
    ['putChallenge: resend cooldown', async (s) => {
      const c = id();
      const u = id();
      const first = challenge(u);
      equal(await s.putChallenge(c, first, 60_000), true, 'first putChallenge');
      equal(await s.putChallenge(c, challenge(u, { createdAt: T + 59_999, expiresAt: T + 359_999 }), 60_000), false, 'putChallenge within the cooldown');
      const second = challenge(u, { createdAt: T + 60_000, expiresAt: T + 360_000 });
      equal(await s.putChallenge(c, second, 60_000), true, 'putChallenge when the cooldown is over');
      const old = await s.consumeChallenge(c, 'sign-in', first.digest, T + 60_001);
      equal([old.ok, old.ok ? null : old.reason], [false, 'mismatch'], 'consumeChallenge with the replaced digest');
      equal((await s.consumeChallenge(c, 'sign-in', second.digest, T + 60_002)).ok, true, 'consumeChallenge with the new digest');
    }],
    ['putChallenge: an expired challenge does not hold the cooldown', async (s) => {
      const c = id();
      const u = id();
      await s.putChallenge(c, challenge(u, { expiresAt: T + 10 }), 60_000);
      const next = challenge(u, { createdAt: T + 10, expiresAt: T + 300_010 });
      equal(await s.putChallenge(c, next, 60_000), true, 'putChallenge over an expired challenge');
      equal((await s.consumeChallenge(c, 'sign-in', next.digest, T + 11)).ok, true, 'consumeChallenge of the new challenge');
    }],
    ['consumeChallenge: expired (expiresAt <= now) is deleted', async (s) => {
      const c = id();
      const rec = challenge(id());
      await s.putChallenge(c, rec, 0);
      const r = await s.consumeChallenge(c, rec.purpose, rec.digest, rec.expiresAt);
      equal([r.ok, r.ok ? null : r.reason], [false, 'expired'], 'consumeChallenge at expiresAt');
      const again = await s.consumeChallenge(c, rec.purpose, rec.digest, rec.expiresAt - 1);
      equal([again.ok, again.ok ? null : again.reason], [false, 'missing'], 'consumeChallenge after expiry');
    }],
    ['consumeChallenge: mismatches count down and end the challenge at 0', async (s) => {
      const c = id();
      const rec = challenge(id(), { attemptsLeft: 3 });
      await s.putChallenge(c, rec, 0);
      for (const left of [2, 1, 0]) {
        equal(await s.consumeChallenge(c, rec.purpose, randomHex(32), T + 1), { ok: false, reason: 'mismatch', attemptsLeft: left }, `mismatch leaving ${left}`);
      }
      const r = await s.consumeChallenge(c, rec.purpose, rec.digest, T + 2);
      ok(!r.ok && (r.reason === 'missing' || r.reason === 'exhausted'), `consumeChallenge(right) after the last attempt: expected missing or exhausted, got ${JSON.stringify(r)}`);
    }],
    ['consumeChallenge: no attempts left is exhausted', async (s) => {
      const c = id();
      const rec = challenge(id(), { attemptsLeft: 0 });
      await s.putChallenge(c, rec, 0);
      const r = await s.consumeChallenge(c, rec.purpose, rec.digest, T + 1);
      equal([r.ok, r.ok ? null : r.reason], [false, 'exhausted'], 'consumeChallenge with attemptsLeft 0');
    }],
    ['consumeChallenge: a different purpose is a mismatch', async (s) => {
      const c = id();
      const rec = challenge(id(), { purpose: 'email:verify' });
      await s.putChallenge(c, rec, 0);
      equal(await s.consumeChallenge(c, 'sign-in', rec.digest, T + 1), { ok: false, reason: 'mismatch', attemptsLeft: 4 }, 'consumeChallenge(wrong purpose)');
      equal(await s.consumeChallenge(c, rec.purpose, rec.digest, T + 2), { ok: true, record: { ...rec, attemptsLeft: 4 } }, 'consumeChallenge(right purpose)');
    }],
    ['deleteChallenge: removes it once', async (s) => {
      const c = id();
      const rec = challenge(id());
      await s.putChallenge(c, rec, 0);
      equal(await s.deleteChallenge(c), true, 'deleteChallenge');
      equal(await s.deleteChallenge(c), false, 'deleteChallenge twice');
      const r = await s.consumeChallenge(c, rec.purpose, rec.digest, T + 1);
      equal([r.ok, r.ok ? null : r.reason], [false, 'missing'], 'consumeChallenge after deleteChallenge');
    }],
    ['consumeChallenge: 20 concurrent right answers succeed exactly once', async (s) => {
      const c = id();
      const rec = challenge(id());
      await s.putChallenge(c, rec, 0);
      const results = await Promise.all(Array.from({ length: 20 }, () => s.consumeChallenge(c, rec.purpose, rec.digest, T + 1)));
      equal(results.filter((r) => r.ok).length, 1, 'successful concurrent consumeChallenge calls');
    }],
    ['consumeChallenge: 20 concurrent wrong answers use each attempt once', async (s) => {
      const c = id();
      const rec = challenge(id(), { attemptsLeft: 5 });
      await s.putChallenge(c, rec, 0);
      const results = await Promise.all(Array.from({ length: 20 }, () => s.consumeChallenge(c, rec.purpose, randomHex(32), T + 1)));
      const left = results.flatMap((r) => (!r.ok && r.reason === 'mismatch' ? [r.attemptsLeft] : []));
      equal(left.sort((a, b) => a - b), [0, 1, 2, 3, 4], 'attemptsLeft of concurrent mismatches');
      ok(results.every((r) => !r.ok), 'a wrong answer succeeded');
    }],

    // ── activation race and deleteUser ───────────────────────────────
    ['activateFactor: 20 concurrent activations succeed exactly once', async (s) => {
      const rec = pending(id());
      await s.putPendingFactor(rec);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.activateFactor(rec.userId, rec.secret, 100 + i, T + 1, hashes(1))));
      equal(results.filter((r) => r === true).length, 1, 'successful concurrent activateFactor calls');
      equal(await s.countRecoveryCodes(rec.userId), 1, 'countRecoveryCodes after concurrent activations');
      equal((await s.getFactor(rec.userId))?.lastStep, 100 + results.indexOf(true), 'lastStep set by the winning activation');
    }],
    ['deleteUser: removes factor, recovery codes, attempts and challenges of that user only', async (s) => {
      const a = id();
      const b = id();
      const ca = id();
      const cb = id();
      for (const [u, c] of [[a, ca], [b, cb]] as const) {
        await active(s, u, 5, hashes(4));
        await s.reserveAttempt(u, T, POLICY);
        await s.putChallenge(c, challenge(u), 0);
      }
      const bFactor = await s.getFactor(b);
      equal(await s.deleteUser(a), true, 'deleteUser of an enrolled user');
      equal(await s.getFactor(a), null, 'getFactor after deleteUser');
      equal(await s.countRecoveryCodes(a), 0, 'countRecoveryCodes after deleteUser');
      equal(await s.getAttempts(a), noAttempts, 'getAttempts after deleteUser');
      const gone = await s.consumeChallenge(ca, 'sign-in', randomHex(32), T + 1);
      equal([gone.ok, gone.ok ? null : gone.reason], [false, 'missing'], 'consumeChallenge of the deleted user');
      equal(await s.deleteUser(a), false, 'deleteUser twice');
      equal(await s.getFactor(b), bFactor, 'getFactor of another user');
      equal(await s.countRecoveryCodes(b), 4, 'countRecoveryCodes of another user');
      equal((await s.getAttempts(b)).failures, 1, 'getAttempts of another user');
      equal(await s.deleteChallenge(cb), true, 'deleteChallenge of another user');
    }],
    ['deleteUser: a pending factor counts; a user without a factor is false', async (s) => {
      const u = id();
      await s.putPendingFactor(pending(u));
      equal(await s.deleteUser(u), true, 'deleteUser of a pending user');
      const v = id();
      await s.replaceRecoveryCodes(v, hashes(1));
      equal(await s.deleteUser(v), false, 'deleteUser of a user with codes and no factor');
      equal(await s.countRecoveryCodes(v), 0, 'countRecoveryCodes after deleteUser');
    }],
  ];
}

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let out = '';
  for (const b of buf) out += b.toString(16).padStart(2, '0');
  return out;
}

function shuffle<Item>(items: Item[]): Item[] {
  const buf = new Uint32Array(items.length);
  crypto.getRandomValues(buf);
  for (let i = items.length - 1; i > 0; i--) {
    const j = (buf[i] as number) % (i + 1);
    [items[i], items[j]] = [items[j] as Item, items[i] as Item];
  }
  return items;
}
