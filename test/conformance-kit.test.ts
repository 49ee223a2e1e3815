import { describe, expect, it } from 'vitest';
import { defineStore } from '../src/store/define.js';
import { createMemoryStore, type MemoryStore } from '../src/store/memory.js';
import type { CodeRecord, DeviceRecord, EnrolledUser, FactorRecord, MfaStore, StoreImplementation, ThrottleSchedule } from '../src/store/types.js';
import { ConformanceError, runStoreConformance, type StoreConformanceOptions } from '../src/testing/index.js';

// The kit is only worth something if it fails broken stores. Each mutant below
// wraps the MemoryStore with one plausible adapter bug (a read-then-write race,
// a missing condition, a consequence left out, a collation that folds ids, a
// driver that returns strings); the kit must report it in the named test.

type Dumpable = MfaStore & { dump(): string };
type Tests = Map<string, (context?: unknown) => Promise<void>>;

const NO_LOCKS: ThrottleSchedule = { locks: [0], suspendAfter: 1000 };
// Lets the other concurrent calls run between a mutant's read and its write.
const yieldTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function collect(opts: Omit<StoreConformanceOptions, 'test'>): Tests {
  const tests: Tests = new Map();
  runStoreConformance({ ...opts, test: (name, fn) => tests.set(name, fn) });
  return tests;
}

/** Runs every kit test against stores from `createStore` and returns the failures by test name. */
async function failures(createStore: () => Dumpable): Promise<Map<string, unknown>> {
  const failed = new Map<string, unknown>();
  for (const [name, fn] of collect({ createStore, rawDump: (s) => (s as Dumpable).dump() })) {
    try {
      await fn();
    } catch (e) {
      failed.set(name, e);
    }
  }
  return failed;
}

/** Expects a failing kit test whose name contains each fragment, failing with a ConformanceError. */
function expectCaught(failed: Map<string, unknown>, ...fragments: string[]): void {
  expect(failed.size, 'the kit reported no failure').toBeGreaterThan(0);
  for (const fragment of fragments) {
    const hits = [...failed].filter(([name]) => name.includes(fragment));
    expect(hits.map(([n]) => n), `no failing test named like “${fragment}”; failed: ${[...failed.keys()].join(' | ')}`).not.toEqual([]);
    for (const [, err] of hits) expect(err).toBeInstanceOf(ConformanceError);
  }
}

/** A MemoryStore with some implementation methods replaced, defined again like an adapter. */
function mutant(patch: (inner: MemoryStore) => Partial<StoreImplementation>): () => Dumpable {
  return () => {
    const inner = createMemoryStore();
    const { dump, ...methods } = inner;
    return defineStore({ ...methods, ...patch(inner) } as StoreImplementation, { dump });
  };
}

const storedDigests = (inner: MemoryStore, userId: string): string[] =>
  (JSON.parse(inner.dump()) as { users: Array<{ id: string; recovery: string[] }> }).users.find((u) => u.id === userId)?.recovery ?? [];

const devicesOf = (inner: MemoryStore): DeviceRecord[] => (JSON.parse(inner.dump()) as { users: Array<{ devices: DeviceRecord[] }> }).users.flatMap((u) => u.devices);

type DumpedUser = { id: string; factors: FactorRecord[]; failures: number };

/** A listing computed from the dump, for the users `listed` picks, in UTF-16 order when `unitOrder` (a plain sort) or else by code point. */
function listFromDump(inner: MemoryStore, { cursor, limit }: { cursor: string | null; limit: number }, listed: (u: DumpedUser) => boolean, unitOrder = false) {
  const points = (id: string) => [...id].map((c) => c.codePointAt(0) as number);
  const cmp = (a: string, b: string): number => {
    if (unitOrder) return a < b ? -1 : a > b ? 1 : 0;
    const x = points(a);
    const y = points(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return x.length - y.length;
  };
  const all = (JSON.parse(inner.dump()) as { users: DumpedUser[] }).users.filter(listed).filter((u) => cursor === null || cmp(u.id, cursor) > 0).sort((a, b) => cmp(a.id, b.id));
  const users = all.slice(0, limit).map((u) => {
    const active = u.factors.filter((f) => f.state === 'active');
    const used = active.flatMap((f) => (f.lastUsedAt === null ? [] : [f.lastUsedAt]));
    return { userId: u.id, factors: active.length, kinds: [...new Set(active.map((f) => f.kind))].sort(), lastUsedAt: used.length === 0 ? null : Math.max(...used), failures: u.failures };
  });
  return { users, cursor: all.length > limit ? (users[users.length - 1] as EnrolledUser).userId : null };
}

/** Counts `n` failures for a user whether or not it has factors (through a throwaway code). */
async function charge(inner: MemoryStore, userId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = 'c'.repeat(63) + (i % 10);
    const code: CodeRecord = { id, userId, digest: id, createdAt: 0, expiresAt: 1, attemptsLeft: 1 };
    await inner.putCode?.(code, 0);
    await inner.beginCodeAttempt?.(userId, id, 0, NO_LOCKS);
    await inner.deleteCode?.(userId, id);
  }
}

/** Wraps every method so that user ids go through `fold` first, as a collation or a normalising driver would. */
function foldingUserIds(fold: (id: string) => string): () => Dumpable {
  return mutant((inner) => {
    const byUser = ['getUser', 'activateFactor', 'advanceCounter', 'renameFactor', 'resealFactor', 'removeFactor', 'deleteUser', 'beginAttempt', 'refundAttempt', 'replaceRecoveryCodes', 'getRecoveryCodes', 'consumeRecoveryCode', 'beginCodeAttempt', 'acceptCode', 'deleteCode'] as const;
    const out: Record<string, unknown> = {};
    for (const m of byUser) out[m] = (userId: string, ...rest: unknown[]) => (inner[m] as (...a: unknown[]) => unknown)(fold(userId), ...rest);
    out.putPendingFactor = (r: FactorRecord, o: Parameters<MfaStore['putPendingFactor']>[1]) => inner.putPendingFactor({ ...r, userId: fold(r.userId) }, o);
    out.putCode = (r: CodeRecord, cd: number) => inner.putCode?.({ ...r, userId: fold(r.userId) }, cd);
    return out as Partial<StoreImplementation>;
  });
}

describe('runStoreConformance', () => {
  it('registers uniquely named tests per capability, grouped when describe is given', () => {
    const groups: string[] = [];
    const names: string[] = [];
    runStoreConformance({
      describe: (name, fn) => {
        groups.push(name);
        fn();
      },
      test: (name) => names.push(name),
      createStore: () => createMemoryStore(),
      rawDump: () => '',
    });
    expect(groups).toEqual(['MfaStore conformance', 'factors', 'attempts', 'recovery codes', 'one-time records', 'trusted devices', 'listing', 'values', 'raw storage']);
    expect(new Set(names).size).toBe(names.length);
    const methods = ['getUser', 'putPendingFactor', 'activateFactor', 'advanceCounter', 'renameFactor', 'resealFactor', 'removeFactor', 'deleteUser', 'beginAttempt', 'refundAttempt', 'replaceRecoveryCodes', 'getRecoveryCodes', 'consumeRecoveryCode', 'putCode', 'beginCodeAttempt', 'acceptCode', 'deleteCode', 'putChallenge', 'spendChallenge', 'deleteChallenge', 'putDevice', 'touchDevice', 'listDevices', 'revokeDevice', 'revokeAllDevices', 'listEnrolled', 'countEnrolled', 'rawDump'];
    for (const m of methods) expect(names.some((n) => n.startsWith(m) || n.includes(` ${m}`)), m).toBe(true);
    expect(collect({ createStore: () => createMemoryStore() }).size).toBe(names.length - [...names].filter((n) => n.startsWith('rawDump')).length);
  });

  it('passes against the MemoryStore, creating and releasing one store per test', async () => {
    let created = 0;
    let released = 0;
    const tests = collect({
      createStore: () => {
        created++;
        return createMemoryStore();
      },
      releaseStore: () => {
        released++;
      },
      rawDump: (s) => (s as Dumpable).dump(),
    });
    for (const fn of tests.values()) await fn();
    expect(created).toBe(tests.size);
    expect(released).toBe(tests.size);
    expect(await failures(createMemoryStore)).toEqual(new Map());
  });

  it('skips a capability the manifest does not claim, through the runner’s context', async () => {
    const { putCode: _a, beginCodeAttempt: _b, acceptCode: _c, deleteCode: _d, putChallenge: _e, spendChallenge: _f, deleteChallenge: _g, ...rest } = createMemoryStore();
    const store = defineStore({ ...rest, supports: { oneTime: false, devices: true, listing: true } } as StoreImplementation);
    const tests = collect({ createStore: () => store });
    let skipped = 0;
    for (const fn of tests.values()) await fn({ skip: () => void skipped++ });
    expect(skipped).toBe([...tests.keys()].filter((n) => /putCode|CodeAttempt|acceptCode|deleteCode|Challenge|code and challenge|codes go with/.test(n)).length);
    expect(skipped).toBeGreaterThan(10);
  });

  it('fails a store whose manifest claims a capability it lacks', async () => {
    const { putCode: _a, ...rest } = createMemoryStore();
    const tests = collect({ createStore: () => ({ ...rest, supports: { oneTime: true, devices: true, listing: true } }) as MfaStore });
    await expect(tests.get('deleteCode: deletes once (true exactly once among concurrent callers) and only that user’s code')?.()).rejects.toThrow(/no putCode method/);
  });

  it('refuses options without test or createStore, or with options of the wrong type', () => {
    expect(() => runStoreConformance(null as never)).toThrow(TypeError);
    expect(() => runStoreConformance({} as never)).toThrow(/test/);
    expect(() => runStoreConformance({ test: () => {} } as never)).toThrow(/createStore/);
    expect(() => runStoreConformance({ test: () => {}, createStore: createMemoryStore, rawDump: 'x' } as never)).toThrow(/rawDump/);
    expect(() => runStoreConformance({ test: () => {}, createStore: createMemoryStore, idPrefix: 1 } as never)).toThrow(/idPrefix/);
  });
});

describe('the kit catches broken stores', () => {
  it('advanceCounter accepting an equal counter', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async advanceCounter(userId, factorId, counter, now) {
          const r = await inner.advanceCounter(userId, factorId, counter, now);
          if (r !== null) return r;
          const user = await inner.getUser(userId);
          const f = user.factors.find((x) => x.id === factorId);
          return f?.state === 'active' && f.counter === counter ? { recoveryCodes: user.recoveryCodes } : null;
        },
      })),
    );
    expectCaught(failed, 'advanceCounter: refuses an equal or lower counter', 'activateFactor: claims its counter', 'advanceCounter: 50 concurrent calls with one counter');
  });

  it('advanceCounter deciding on a stale read', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async advanceCounter(userId, factorId, counter, now) {
          const f = (await inner.getUser(userId)).factors.find((x) => x.id === factorId);
          await yieldTurn();
          if (f === undefined || f.state !== 'active' || counter <= f.counter) return null;
          await inner.advanceCounter(userId, factorId, counter, now);
          return { recoveryCodes: (await inner.getUser(userId)).recoveryCodes };
        },
      })),
    );
    expectCaught(failed, 'advanceCounter: 50 concurrent calls with one counter succeed exactly once');
  });

  it('advanceCounter not bound to the factor id (a removed and re-enrolled factor)', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async advanceCounter(userId, factorId, counter, now) {
          const r = await inner.advanceCounter(userId, factorId, counter, now);
          if (r !== null) return r;
          const any = (await inner.getUser(userId)).factors.find((f) => f.state === 'active');
          return any === undefined ? null : inner.advanceCounter(userId, any.id, counter, now);
        },
      })),
    );
    expectCaught(failed, 'advanceCounter: a factor removed and enrolled again is another factor');
  });

  it('advanceCounter and consumeRecoveryCode not clearing the failures', async () => {
    const keepFailures = (inner: MemoryStore) => async <R>(userId: string, write: () => Promise<R | null>): Promise<R | null> => {
      const before = (await inner.getUser(userId)).attempts.failures;
      const r = await write();
      if (r !== null) for (let i = 0; i < before; i++) await inner.beginAttempt(userId, 'active', 0, NO_LOCKS);
      return r;
    };
    const advance = await failures(mutant((inner) => ({ advanceCounter: (u, f, c, now) => keepFailures(inner)(u, () => inner.advanceCounter(u, f, c, now)) })));
    expectCaught(advance, 'advanceCounter: sets counter and lastUsedAt, clears failures and lock');
    const consume = await failures(mutant((inner) => ({ consumeRecoveryCode: (u, d) => keepFailures(inner)(u, () => inner.consumeRecoveryCode(u, d)) })));
    expectCaught(consume, 'consumeRecoveryCode: removes the digest, clears failures and lock');
  });

  it('consumeRecoveryCode reading the set, then writing it back', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async consumeRecoveryCode(userId, digest) {
          const set = storedDigests(inner, userId);
          await yieldTurn();
          if (!set.includes(digest)) return null;
          await inner.replaceRecoveryCodes(userId, { digests: set.filter((d) => d !== digest), sealed: (await inner.getRecoveryCodes(userId)).sealed });
          for (let f = (await inner.getUser(userId)).attempts.failures; f > 0; f--) await inner.refundAttempt(userId, NO_LOCKS);
          return { recoveryCodes: set.length - 1 };
        },
      })),
    );
    expectCaught(failed, 'consumeRecoveryCode: 30 concurrent consumptions of one digest', 'consumeRecoveryCode: 10 concurrent consumptions of distinct digests');
  });

  it('beginAttempt reading the failures, then writing them back (lost counts)', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async beginAttempt(userId, state, now, schedule) {
          const seen = (await inner.getUser(userId)).attempts.failures;
          await yieldTurn();
          const r = await inner.beginAttempt(userId, state, now, schedule);
          // "UPDATE … SET failures = seen + 1": whatever others counted meanwhile is lost.
          if (r.reservation?.allowed === true) for (let f = r.reservation.failures; f > seen + 1; f--) await inner.refundAttempt(userId, NO_LOCKS);
          return r;
        },
      })),
    );
    expectCaught(failed, 'beginAttempt: 40 concurrent reservations are each counted exactly once');
  });

  it('beginAttempt deciding on a stale read (more allowed than the schedule)', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async beginAttempt(userId, state, now, schedule) {
          const before = (await inner.getUser(userId)).attempts;
          await yieldTurn();
          const r = await inner.beginAttempt(userId, state, now, schedule);
          const free = !(before.lockedUntil !== null && before.lockedUntil > now) && before.failures < schedule.suspendAfter;
          return r.reservation !== null && !r.reservation.allowed && free ? { ...r, reservation: { ...r.reservation, allowed: true } } : r;
        },
      })),
    );
    expectCaught(failed, 'beginAttempt: 30 concurrent reservations allow no more than the schedule before its lock', 'beginAttempt: 30 concurrent reservations allow exactly suspendAfter');
  });

  it('beginAttempt reading the lock before the suspension', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async beginAttempt(userId, state, now, schedule) {
          const r = await inner.beginAttempt(userId, state, now, schedule);
          const p = r.reservation;
          return p !== null && !p.allowed && p.lockedUntil !== null && p.lockedUntil > now ? { ...r, reservation: { ...p, suspended: false } } : r;
        },
      })),
    );
    expectCaught(failed, 'beginAttempt: suspension beats a running lock');
  });

  it('beginAttempt indexing the schedule one failure late', async () => {
    const failed = await failures(mutant((inner) => ({ beginAttempt: (u, state, now, s) => inner.beginAttempt(u, state, now, { ...s, locks: [0, ...s.locks] }) })));
    expectCaught(failed, 'beginAttempt: follows the schedule');
  });

  it('beginAttempt writing for an unknown or unenrolled user', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async beginAttempt(userId, state, now, schedule) {
          const r = await inner.beginAttempt(userId, state, now, schedule);
          if (r.factors.length === 0) await charge(inner, userId, 1); // an upsert before the factors were looked at
          return r;
        },
      })),
    );
    expectCaught(failed, 'beginAttempt: an unknown user gets no factors', 'beginAttempt: a user without a factor in the state asked for', 'rawDump: calls for an unknown user and refused writes leave no trace');
  });

  it('refundAttempt not lifting the lock', async () => {
    const failed = await failures(mutant((inner) => ({ refundAttempt: (u, s) => inner.refundAttempt(u, { ...s, locks: s.locks.map((ms, i) => (i === 0 ? 0 : Math.max(ms, 1))) }) })));
    expectCaught(failed, 'refundAttempt: lifts the lock when locks[failures left] is 0');
  });

  it('refundAttempt giving every failure back', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async refundAttempt(userId, schedule) {
          for (let f = (await inner.getUser(userId)).attempts.failures; f > 0; f--) await inner.refundAttempt(userId, schedule);
        },
      })),
    );
    expectCaught(failed, 'refundAttempt: gives exactly one reservation back', 'refundAttempt: concurrent refunds each give exactly one back');
  });

  it('activateFactor issuing recovery codes to a second factor', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async activateFactor(userId, factorId, activation) {
          const r = await inner.activateFactor(userId, factorId, activation);
          if (r === null || r.recoveryCodesIssued) return r;
          await inner.replaceRecoveryCodes(userId, activation.recovery);
          return { recoveryCodes: activation.recovery.digests.length, recoveryCodesIssued: true };
        },
      })),
    );
    expectCaught(failed, 'activateFactor: a second active factor stores no recovery codes', 'activateFactor: 10 pending factors activated concurrently issue recovery codes exactly once');
  });

  it('activateFactor deciding on a stale read', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async activateFactor(userId, factorId, activation) {
          const f = (await inner.getUser(userId)).factors.find((x) => x.id === factorId);
          await yieldTurn();
          if (f === undefined || f.state !== 'pending' || f.expiresAt === null || f.expiresAt <= activation.now) return null;
          return (await inner.activateFactor(userId, factorId, activation)) ?? { recoveryCodes: activation.recovery.digests.length, recoveryCodesIssued: true };
        },
      })),
    );
    expectCaught(failed, 'activateFactor: 20 concurrent activations of one factor succeed exactly once');
  });

  it('activateFactor keeping the pending factor’s meta', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async activateFactor(userId, factorId, activation) {
          const meta = (await inner.getUser(userId)).factors.find((f) => f.id === factorId)?.meta ?? activation.meta;
          return inner.activateFactor(userId, factorId, { ...activation, meta });
        },
      })),
    );
    expectCaught(failed, 'activateFactor: activates with the counter');
  });

  it('recovery sets losing their sealed copy on replacement', async () => {
    const failed = await failures(mutant((inner) => ({ replaceRecoveryCodes: (userId, set) => inner.replaceRecoveryCodes(userId, { ...set, sealed: null }) })));
    expectCaught(failed, 'getRecoveryCodes: the digests left and the sealed copy', 'replaceRecoveryCodes: 20 concurrent replacements leave exactly one whole set');
  });

  it('getRecoveryCodes reading the copy and the digests in two steps', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async getRecoveryCodes(userId) {
          const { sealed } = await inner.getRecoveryCodes(userId);
          await yieldTurn();
          return { digests: (await inner.getRecoveryCodes(userId)).digests, sealed };
        },
      })),
    );
    expectCaught(failed, 'getRecoveryCodes: reads racing replacements each see one whole set');
  });

  it('activateFactor ignoring expiry', async () => {
    const failed = await failures(mutant((inner) => ({ activateFactor: async (u, f, a) => (await inner.activateFactor(u, f, a)) ?? inner.activateFactor(u, f, { ...a, now: 0 }) })));
    expectCaught(failed, 'activateFactor: refuses an expired pending factor');
  });

  it('putPendingFactor returning an expired pending factor of the same label', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async putPendingFactor(record, opts) {
          const same = (await inner.getUser(record.userId)).factors.find((f) => f.state === 'pending' && f.label === record.label);
          return same !== undefined && !opts.replace ? { ok: true, factor: same } : inner.putPendingFactor(record, opts);
        },
      })),
    );
    expectCaught(failed, 'putPendingFactor: an expired pending factor with the same label is not returned but swept');
  });

  it('putPendingFactor counting the live factors, then inserting', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async putPendingFactor(record, opts) {
          const live = (await inner.getUser(record.userId)).factors.filter((f) => f.state === 'active' || (f.expiresAt ?? 0) > opts.now);
          await yieldTurn();
          if (live.length >= opts.maxFactors && !live.some((f) => f.state === 'pending' && f.label === record.label)) return { ok: false, reason: 'limit' };
          return inner.putPendingFactor(record, { ...opts, maxFactors: 100 });
        },
      })),
    );
    expectCaught(failed, 'putPendingFactor: 20 concurrent puts with distinct labels never exceed maxFactors');
  });

  it('removeFactor leaving the attempts behind when it disables the user', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async removeFactor(userId, factorId) {
          const before = (await inner.getUser(userId)).attempts.failures;
          const r = await inner.removeFactor(userId, factorId);
          if (r.disabled) await charge(inner, userId, before);
          return r;
        },
      })),
    );
    expectCaught(failed, 'removeFactor: removing the last active factor deletes everything of the user', 'rawDump: a removed factor is gone');
  });

  it('deleteUser deleting every user whose id starts with the id (a key pattern)', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async deleteUser(userId) {
          const existed = await inner.deleteUser(userId);
          const ids = (JSON.parse(inner.dump()) as { users: Array<{ id: string }> }).users.map((u) => u.id);
          for (const id of ids) if (id.startsWith(userId)) await inner.deleteUser(id);
          return existed;
        },
      })),
    );
    expectCaught(failed, 'user ids: trailing spaces, key separators, wildcards');
  });

  it('user ids folded by a collation: case, Unicode normalisation, trailing spaces, truncation', async () => {
    expectCaught(await failures(foldingUserIds((id) => id.toLowerCase())), 'user ids: ids that differ only in case are distinct users');
    expectCaught(await failures(foldingUserIds((id) => id.normalize('NFC'))), 'user ids: NFC and NFD spellings of one name are distinct users');
    expectCaught(await failures(foldingUserIds((id) => id.replace(/ +$/, ''))), 'user ids: trailing spaces');
    expectCaught(await failures(foldingUserIds((id) => id.slice(0, 191))), 'user ids: ids of 255 UTF-8 bytes are kept whole');
  });

  it('numbers returned as strings (a driver’s bigint)', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async getUser(userId) {
          const u = await inner.getUser(userId);
          return { ...u, factors: u.factors.map((f) => ({ ...f, counter: (f.counter > 2 ** 32 ? String(f.counter) : f.counter) as number })) };
        },
      })),
    );
    expectCaught(failed, 'numbers: counters and times above 2^32');
    // The message names the method and points at the field, expected vs actual.
    const message = String([...failed].find(([name]) => name.startsWith('numbers:'))?.[1]);
    expect(message).toMatch(/^ConformanceError: getUser .*: expected \{.*\}, got \{.*\}/);
    expect(message).toContain('first difference at factors[0].counter: expected 9007199254740991 (number), got "9007199254740991" (string)');
  });

  it('replaceRecoveryCodes as a delete, then an insert', async () => {
    const failed = await failures(
      mutant((inner) => ({
        async replaceRecoveryCodes(userId, set) {
          if (!(await inner.replaceRecoveryCodes(userId, { digests: [], sealed: set.sealed }))) return false;
          await yieldTurn();
          return inner.replaceRecoveryCodes(userId, { digests: [...new Set([...storedDigests(inner, userId), ...set.digests])].slice(0, 100), sealed: set.sealed });
        },
      })),
    );
    expectCaught(failed, 'replaceRecoveryCodes: 20 concurrent replacements leave exactly one whole set');
  });

  it('records shared with the caller (a read cache that hands out its objects)', async () => {
    const inner = createMemoryStore();
    const cache = new Map<string, Awaited<ReturnType<MfaStore['getUser']>>>();
    const store: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(inner)) {
      store[name] = typeof value !== 'function' ? value : (...args: unknown[]) => {
        const first = args[0];
        cache.delete(typeof first === 'string' ? first : ((first as { userId?: string } | undefined)?.userId ?? ''));
        return (value as (...a: unknown[]) => unknown)(...args);
      };
    }
    store.getUser = async (userId: string) => cache.get(userId) ?? cache.set(userId, await inner.getUser(userId)).get(userId);
    expectCaught(await failures(() => store as unknown as Dumpable), 'copies: records passed in are copied before the call returns; records returned are copies');
  });

  it('one-time records: a missing code charged, a cooldown ignored, codes found across users, acceptCode without refund', async () => {
    expectCaught(
      await failures(mutant((inner) => ({ beginCodeAttempt: async (u, id, now, s) => { const r = await inner.beginCodeAttempt?.(u, id, now, s); if (r?.code === null) await charge(inner, u, 1); return r ?? { code: null, reservation: null }; } }))),
      'beginCodeAttempt: a missing code, another user’s code or an unknown user count nothing',
    );
    expectCaught(await failures(mutant((inner) => ({ putCode: (r) => inner.putCode?.(r, 0) ?? Promise.reject(new Error('no putCode')) }))), 'putCode: refused within the cooldown');
    expectCaught(
      await failures(
        mutant((inner) => ({
          async beginCodeAttempt(userId, id, now, s) {
            const users = (JSON.parse(inner.dump()) as { users: Array<{ id: string; codes: CodeRecord[] }> }).users;
            const owner = users.find((u) => u.codes.some((c) => c.id === id))?.id ?? userId;
            return (await inner.beginCodeAttempt?.(owner, id, now, s)) ?? { code: null, reservation: null };
          },
        })),
      ),
      'beginCodeAttempt: a missing code, another user’s code',
    );
    expectCaught(await failures(mutant((inner) => ({ acceptCode: (u, id) => inner.deleteCode?.(u, id) ?? Promise.resolve(false) }))), 'acceptCode: deletes the code and gives its reservation back', 'acceptCode: 20 concurrent accepts');
  });

  it('challenges: a spend that reads, then writes; expiry one ms late; deleteChallenge always true', async () => {
    expectCaught(
      await failures(
        mutant((inner) => ({
          async spendChallenge(id, now) {
            await yieldTurn();
            const seen = await inner.spendChallenge?.(id, now);
            if (seen == null) return null;
            await inner.putChallenge?.({ ...seen, attemptsLeft: seen.attemptsLeft + 1 }); // the read, undone
            await yieldTurn();
            await inner.putChallenge?.(seen); // the write, from the stale read
            return seen;
          },
        })),
      ),
      'spendChallenge: 20 concurrent spends never hand out more tries than attemptsLeft',
    );
    expectCaught(await failures(mutant((inner) => ({ spendChallenge: (id, now) => inner.spendChallenge?.(id, Math.max(0, now - 1)) ?? Promise.resolve(null) }))), 'spendChallenge: an expired challenge (expiresAt <= now)');
    expectCaught(await failures(mutant((inner) => ({ deleteChallenge: async (id) => (await inner.deleteChallenge?.(id), true) }))), 'deleteChallenge: true exactly once');
  });

  it('devices: a touch ignoring expiry, a revocation not scoped to the user, deleteUser leaving devices, a touch that reads, then writes', async () => {
    expectCaught(
      await failures(
        mutant((inner) => ({
          async touchDevice(userId, id, now) {
            const seen = await inner.touchDevice?.(userId, id, 0);
            if (seen == null) return null;
            await inner.putDevice?.({ ...seen, lastSeenAt: now });
            return { ...seen, lastSeenAt: now };
          },
        })),
      ),
      'touchDevice: an expired device (expiresAt <= now) is deleted',
    );
    expectCaught(
      await failures(
        mutant((inner) => ({
          async revokeDevice(userId, id) {
            const owner = devicesOf(inner).find((d) => d.id === id)?.userId ?? userId;
            return (await inner.revokeDevice?.(owner, id)) ?? false;
          },
        })),
      ),
      'revokeDevice: deletes once, and only that user’s device',
    );
    expectCaught(
      await failures(
        mutant((inner) => ({
          async deleteUser(userId) {
            const kept = devicesOf(inner).filter((d) => d.userId === userId);
            const existed = await inner.deleteUser(userId);
            for (const d of kept) await inner.putDevice?.(d);
            return existed;
          },
        })),
      ),
      'deleteUser and removeFactor(the last active factor) delete the user’s devices',
    );
    expectCaught(
      await failures(
        mutant((inner) => ({
          async touchDevice(userId, id, now) {
            const seen = (await inner.listDevices?.(userId, now))?.find((d) => d.id === id);
            await yieldTurn();
            if (seen === undefined) return null;
            await inner.putDevice?.({ ...seen, lastSeenAt: now }); // the write, from the stale read
            return { ...seen, lastSeenAt: now };
          },
        })),
      ),
      'touchDevice racing revokeDevice',
    );
  });

  it('listing: pending-only users listed, a page that skips a user, a cursor never null, a count of every user', async () => {
    expectCaught(await failures(mutant((inner) => ({ listEnrolled: async (opts) => listFromDump(inner, opts, (u) => u.factors.length > 0) }))), 'listEnrolled: paging with a small limit');
    expectCaught(
      await failures(
        mutant((inner) => ({
          async listEnrolled({ cursor, limit }) {
            // The next page starts after the first user it should hold.
            const wider = await inner.listEnrolled!({ cursor, limit: Math.min(limit + 1, 1000) });
            const users = wider.users.slice(0, limit);
            return { users, cursor: wider.users.length > limit ? (wider.users[limit] as EnrolledUser).userId : wider.cursor };
          },
        })),
      ),
      'listEnrolled: paging with a small limit',
    );
    expectCaught(await failures(mutant((inner) => ({ listEnrolled: async (opts) => ({ ...(await inner.listEnrolled!(opts)), cursor: 'x' }) }))), 'listEnrolled: the cursor is null at the end');
    expectCaught(await failures(mutant((inner) => ({ listEnrolled: async (opts) => listFromDump(inner, opts, (u) => u.factors.some((f) => f.state === 'active'), true) }))), 'listEnrolled: paging with a small limit');
    expectCaught(await failures(mutant((inner) => ({ countEnrolled: async () => (JSON.parse(inner.dump()) as { users: unknown[] }).users.length }))), 'countEnrolled: counts users with an active factor');
  });

  it('raw storage: a dump that shows nothing, a consumed digest kept, an old sealed secret kept', async () => {
    const empty = () => {
      const inner = createMemoryStore();
      const { dump: _dump, ...methods } = inner;
      return defineStore({ ...methods } as StoreImplementation, { dump: () => '{}' });
    };
    expectCaught(await failures(empty), 'rawDump: shows what the store holds verbatim', 'rawDump: shows code digests and challenge ids verbatim');

    const keeping = (which: 'consume' | 'reseal') => () => {
      const inner = createMemoryStore();
      const { dump, ...methods } = inner;
      const kept: string[] = [];
      return defineStore(
        {
          ...methods,
          async consumeRecoveryCode(userId, digest) {
            const r = await inner.consumeRecoveryCode(userId, digest);
            if (r !== null && which === 'consume') kept.push(digest); // "used = true" instead of a delete
            return r;
          },
          async resealFactor(userId, factorId, expected, sealed) {
            const r = await inner.resealFactor(userId, factorId, expected, sealed);
            if (r && which === 'reseal') kept.push(expected); // a history of sealed secrets
            return r;
          },
        } as StoreImplementation,
        { dump: () => dump() + JSON.stringify(kept) },
      );
    };
    expectCaught(await failures(keeping('consume')), 'rawDump: consumed and replaced recovery digests and resealed secrets are gone');
    expectCaught(await failures(keeping('reseal')), 'rawDump: consumed and replaced recovery digests and resealed secrets are gone');
  });
});
