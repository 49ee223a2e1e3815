import { describe, expect, it } from 'vitest';
import { MemoryStore, type MfaStore } from '../src/index.js';
import { ConformanceError, runStoreConformance } from '../src/testing/index.js';

// The kit is only worth something if it fails broken adapters. Each mutant
// below is a plausible adapter bug (a read-then-write race, an off-by-one, a
// missing condition); the kit must report it in the named test.

type Collected = Map<string, () => Promise<void>>;

function collect(createStore: () => MfaStore): Collected {
  const tests: Collected = new Map();
  runStoreConformance({ test: (name, fn) => tests.set(name, fn), createStore });
  return tests;
}

async function failures(createStore: () => MfaStore): Promise<Map<string, unknown>> {
  const failed = new Map<string, unknown>();
  for (const [name, fn] of collect(createStore)) {
    try {
      await fn();
    } catch (e) {
      failed.set(name, e);
    }
  }
  return failed;
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A MemoryStore whose methods can be replaced one by one. */
function mutant(patch: (inner: MemoryStore) => Partial<MfaStore>): () => MfaStore {
  return () => {
    const inner = new MemoryStore();
    const overrides = patch(inner);
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof MfaStore];
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
}

describe('runStoreConformance', () => {
  it('registers a named async test per case, inside describe when given', () => {
    const groups: string[] = [];
    const names: string[] = [];
    runStoreConformance({
      describe: (name, fn) => {
        groups.push(name);
        fn();
      },
      test: (name) => names.push(name),
      createStore: () => new MemoryStore(),
    });
    expect(groups).toEqual(['MfaStore conformance']);
    expect(names.length).toBeGreaterThan(30);
    expect(new Set(names).size).toBe(names.length);
    for (const method of ['getFactor', 'putPendingFactor', 'activateFactor', 'updateFactorSecret', 'deleteUser', 'claimStep', 'reserveAttempt', 'clearFailures', 'getAttempts', 'consumeRecoveryCode', 'putChallenge', 'consumeChallenge', 'deleteChallenge']) {
      expect(names.some((n) => n.includes(method)), method).toBe(true);
    }
  });

  it('passes against a correct store and calls releaseStore after each test', async () => {
    let created = 0;
    let released = 0;
    const tests: Collected = new Map();
    runStoreConformance({
      test: (name, fn) => tests.set(name, fn),
      createStore: () => {
        created++;
        return new MemoryStore();
      },
      releaseStore: () => {
        released++;
      },
    });
    for (const fn of tests.values()) await fn();
    expect(created).toBe(tests.size);
    expect(released).toBe(tests.size);
  });

  it('refuses options without test or createStore', () => {
    expect(() => runStoreConformance({} as never)).toThrow(TypeError);
    expect(() => runStoreConformance({ test: () => {} } as never)).toThrow(/createStore/);
    expect(() => runStoreConformance(null as never)).toThrow(TypeError);
  });

  it('catches a claimStep that reads, then writes', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async claimStep(userId, step) {
          const f = await inner.getFactor(userId);
          await tick();
          if (f === null || f.state !== 'active' || step <= f.lastStep) return false;
          await inner.claimStep(userId, step);
          return true;
        },
      })),
    );
    expect([...failed.keys()]).toEqual(['claimStep: 50 concurrent claims of one step succeed exactly once']);
    expect(failed.values().next().value).toBeInstanceOf(ConformanceError);
  });

  it('catches a consumeRecoveryCode that counts before and after', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async consumeRecoveryCode(userId, hash) {
          const before = await inner.countRecoveryCodes(userId);
          await tick();
          await inner.consumeRecoveryCode(userId, hash);
          return (await inner.countRecoveryCodes(userId)) < before;
        },
      })),
    );
    expect([...failed.keys()]).toEqual(['consumeRecoveryCode: 30 concurrent consumptions of one code succeed exactly once']);
  });

  it('catches a reserveAttempt that decides on a stale read', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async reserveAttempt(userId, now, policy) {
          const a = await inner.getAttempts(userId);
          await tick();
          if (a.lockedUntil !== null && a.lockedUntil > now) return { allowed: false, failures: a.failures, lockedUntil: a.lockedUntil, suspended: false };
          const r = await inner.reserveAttempt(userId, now, policy);
          return { ...r, allowed: true };
        },
      })),
    );
    expect(failed.has('reserveAttempt: 40 concurrent reservations let exactly freeFailures through')).toBe(true);
  });

  it('catches a lock schedule that starts one failure late', async () => {
    const failed = await failures(
      mutant((inner) => ({
        reserveAttempt: (userId, now, policy) => inner.reserveAttempt(userId, now, { ...policy, freeFailures: policy.freeFailures + 1 }),
      })),
    );
    expect(failed.has('reserveAttempt: 5 free failures, then 30 s doubling to the 15 min cap')).toBe(true);
    expect(String(failed.get('reserveAttempt: 5 free failures, then 30 s doubling to the 15 min cap'))).toMatch(/reservation 5/);
  });

  it('catches an activateFactor that ignores expiry', async () => {
    const failed = await failures(
      mutant((inner) => ({
        activateFactor: (userId, secret, step, _now, hashes) => inner.activateFactor(userId, secret, step, 0, hashes),
      })),
    );
    expect(failed.has('activateFactor: refuses an expired pending factor (expiresAt <= now)')).toBe(true);
  });

  it('catches a putPendingFactor that overwrites an active factor', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async putPendingFactor(record) {
          await inner.deleteUser(record.userId);
          return inner.putPendingFactor(record);
        },
      })),
    );
    expect(failed.has('putPendingFactor: never replaces an active factor')).toBe(true);
  });

  it('catches a consumeChallenge that does not delete on success', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async consumeChallenge(id, purpose, digest, now) {
          const r = await inner.consumeChallenge(id, purpose, digest, now);
          if (r.ok) await inner.putChallenge(id, r.record, 0);
          return r;
        },
      })),
    );
    expect(failed.has('putChallenge + consumeChallenge: right answer succeeds once and returns the record')).toBe(true);
  });

  it('catches a deleteUser that leaves attempts behind', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async deleteUser(userId) {
          const a = await inner.getAttempts(userId);
          const existed = await inner.deleteUser(userId);
          for (let i = 0; i < a.failures; i++) await inner.reserveAttempt(userId, 0, { freeFailures: 1000, baseLockMs: 0, maxLockMs: 0, suspendAfter: 1000 });
          return existed;
        },
      })),
    );
    expect(failed.has('deleteUser: removes factor, recovery codes, attempts and challenges of that user only')).toBe(true);
    expect(failed.has('reserveAttempt: 100 consecutive failures suspend until deleteUser')).toBe(true);
  });
});
