// Cases of the Postgres adapter shared by the PostgreSQL, PgBouncer and PGlite
// suites: the tricky atomic steps raced, and a differential run against
// createMemoryStore(), the reference semantics, on one seeded operation sequence.
import { expect, test } from 'vitest';
import type { PostgresClient, PostgresStore } from '../../src/adapters/postgres.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { FactorRecord, MfaStore, ThrottleSchedule } from '../../src/store/types.js';
import { TABLES } from './sql-cases.js';

/** Every table of a store with `tablePrefix`, one JSON object per row: the raw storage a plaintext scan reads. */
export async function postgresRawDump(client: PostgresClient, tablePrefix: string): Promise<string> {
  const out: string[] = [];
  for (const table of TABLES) {
    const { rows } = await client.query(`SELECT to_jsonb(x)::text AS j FROM "${tablePrefix}${table}" x`, []);
    for (const row of rows as { j: string }[]) out.push(`${table} ${row.j}`);
  }
  return out.join('\n');
}

const T = 1_767_225_600_000;
const hex = (n: number, salt: string): string => (salt + n.toString(16)).replace(/[^0-9a-f]/g, '').padStart(64, '0').slice(-64);
const CODE_IDS = [hex(1, 'c'), hex(2, 'c')];
const SCHEDULE: ThrottleSchedule = { locks: [0, 0, 0, 500, 1000], suspendAfter: 6 };

/** A deterministic generator (xorshift32), so a failing sequence can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}


function pending(userId: string, id: string, label: string, now: number): FactorRecord {
  return { id, userId, kind: 'totp', label, state: 'pending', secret: `sealed:${id}`, counter: -1, createdAt: now, expiresAt: now + 2000, lastUsedAt: null, meta: '{"digits":6}' };
}

const byId = (a: FactorRecord, b: FactorRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Results compared with factor lists in id order (the stores list them in different orders). */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'factors' && Array.isArray(v) ? [...(v as FactorRecord[])].sort(byId) : normalise(v);
  return out;
}

/**
 * Registers the shared cases. `store()` is the store under test; `concurrent`
 * says whether its client runs statements in parallel (a pool), so races
 * prove the row locks; on one connection they still prove the answers.
 */
export function postgresStoreCases(store: () => PostgresStore, opts: { concurrent: boolean }): void {
  const uid = (name: string): string => `${name}-${crypto.randomUUID()}`;
  const n = opts.concurrent ? 24 : 6;

  test('differential: a seeded sequence of every method answers exactly as createMemoryStore()', async () => {
    for (const seed of [1, 7, 42]) {
      const ref = createMemoryStore();
      const s = store();
      const users = [uid('diff'), uid('diff')];
      const rand = rng(seed);
      let now = T;
      let next = 0;
      const ids: string[] = [];
      const digests: string[] = [];
      const challenges: string[] = [];
      const pick = <V>(xs: V[], fallback: V): V => (xs.length === 0 ? fallback : (xs[rand(xs.length)] as V));
      for (let step = 0; step < 400; step++) {
        now += rand(40);
        const u = users[rand(users.length)] as string;
        const fid = pick(ids.slice(-4), 'none');
        let call: (m: MfaStore) => Promise<unknown>;
        switch (rand(20)) {
          case 0:
          case 1: {
            const id = `f${next++}`;
            ids.push(id);
            const rec = pending(u, id, pick(['a', 'b', 'c'], 'a'), now);
            const o = { now, maxFactors: 2, replace: rand(4) === 0 };
            call = (m) => m.putPendingFactor(rec, o);
            break;
          }
          case 2: {
            const set = [0, 1, 2].map((i) => hex(next * 10 + i, 'd'));
            next++;
            digests.push(...set);
            const c = rand(6);
            const meta = `{"n":${next}}`;
            const sealed = rand(2) === 0 ? null : `v2.k1.set-${next}`;
            call = (m) => m.activateFactor(u, fid, { counter: c, now, meta, recovery: { digests: set, sealed } });
            break;
          }
          case 3:
          case 4: {
            const c = rand(8);
            call = (m) => m.advanceCounter(u, fid, c, now);
            break;
          }
          case 5:
          case 6: {
            const state = rand(3) === 0 ? 'pending' : 'active';
            call = (m) => m.beginAttempt(u, state, now, SCHEDULE);
            break;
          }
          case 7:
            call = (m) => m.refundAttempt(u, SCHEDULE);
            break;
          case 8: {
            const d = pick(digests.slice(-6), hex(1, 'd'));
            call = (m) => m.consumeRecoveryCode(u, d);
            break;
          }
          case 9: {
            const set = [hex(next++, 'e')];
            digests.push(...set);
            const sealed = rand(2) === 0 ? null : `v2.k1.set-${next}`;
            call = (m) => m.replaceRecoveryCodes(u, { digests: set, sealed });
            break;
          }
          case 10: {
            call = rand(4) === 0 ? (m) => m.deleteUser(u) : (m) => m.removeFactor(u, fid);
            break;
          }
          case 11: {
            const label = `renamed ${next++}`;
            call = rand(2) === 0 ? (m) => m.renameFactor(u, fid, label) : (m) => m.resealFactor(u, fid, `sealed:${fid}`, `resealed:${fid}`);
            break;
          }
          case 12: {
            const id = pick(CODE_IDS, hex(0, 'c'));
            const rec = { id, userId: u, digest: hex(next++, 'a'), createdAt: now, expiresAt: now + 800, attemptsLeft: 2 };
            call = (m) => m.putCode!(rec, 200);
            break;
          }
          case 13:
          case 14: {
            const id = pick(CODE_IDS, hex(0, 'c'));
            call = (m) => m.beginCodeAttempt!(u, id, now, SCHEDULE);
            break;
          }
          case 15: {
            const id = pick(CODE_IDS, hex(0, 'c'));
            call = rand(2) === 0 ? (m) => m.acceptCode!(u, id, SCHEDULE) : (m) => m.deleteCode!(u, id);
            break;
          }
          case 16: {
            const id = hex(next++, `b${seed}${u.slice(-6)}`);
            challenges.push(id);
            const rec = { id, userId: u, createdAt: now, expiresAt: now + 700, attemptsLeft: 2 };
            call = (m) => m.putChallenge!(rec);
            break;
          }
          case 17: {
            const id = pick(challenges.slice(-3), hex(0, 'b'));
            call = rand(3) === 0 ? (m) => m.deleteChallenge!(id) : (m) => m.spendChallenge!(id, now);
            break;
          }
          case 18:
            // Digests in any order: the contract fixes none.
            call = (m) => m.getRecoveryCodes(u).then((r) => ({ digests: [...r.digests].sort(), sealed: r.sealed }));
            break;
          default:
            call = (m) => m.getUser(u);
        }
        const expected = normalise(await call(ref));
        const actual = normalise(await call(s));
        expect(actual, `seed ${seed}, step ${step}: ${call.toString()}`).toEqual(expected);
      }
      for (const u of users) expect(normalise(await s.getUser(u))).toEqual(normalise(await ref.getUser(u)));
    }
  });

  test('advanceCounter: of concurrent accepts of one counter exactly one succeeds, and it clears the failures', async () => {
    const s = store();
    const u = uid('adv');
    await s.putPendingFactor(pending(u, 'f1', 'phone', T), { now: T, maxFactors: 8, replace: false });
    await s.activateFactor(u, 'f1', { counter: 10, now: T, meta: '{}', recovery: { digests: [hex(1, 'a'), hex(2, 'a')], sealed: null } });
    await s.beginAttempt(u, 'active', T, SCHEDULE);
    const results = await Promise.all(Array.from({ length: n }, () => s.advanceCounter(u, 'f1', 11, T + 1)));
    expect(results.filter((r) => r !== null)).toEqual([{ recoveryCodes: 2 }]);
    const user = await s.getUser(u);
    expect(user.attempts).toEqual({ failures: 0, lockedUntil: null });
    expect(user.factors[0]).toMatchObject({ counter: 11, lastUsedAt: T + 1 });
  });

  test('activateFactor: concurrent activations of pending factors of one user issue recovery codes exactly once', async () => {
    const s = store();
    for (let round = 0; round < (opts.concurrent ? 8 : 2); round++) {
      const u = uid('act');
      const ids = ['f1', 'f2', 'f3'];
      for (const [i, id] of ids.entries()) await s.putPendingFactor(pending(u, id, `label ${i}`, T), { now: T, maxFactors: 8, replace: false });
      const sets = ids.map((_, i) => [hex(i * 2 + 1, 'b'), hex(i * 2 + 2, 'b')]);
      const results = await Promise.all(ids.map((id, i) => s.activateFactor(u, id, { counter: 5, now: T + 1, meta: '{}', recovery: { digests: sets[i] as string[], sealed: null } })));
      const issued = results.filter((r) => r?.recoveryCodesIssued === true);
      expect(issued).toHaveLength(1);
      expect(results.every((r) => r !== null && r.recoveryCodes === 2)).toBe(true);
      const user = await s.getUser(u);
      expect(user.factors.map((f) => f.state)).toEqual(['active', 'active', 'active']);
      expect(user.recoveryCodes).toBe(2);
    }
  });

  test('consumeRecoveryCode: of concurrent consumes of one code exactly one succeeds', async () => {
    const s = store();
    const u = uid('rc');
    const set = [hex(1, 'c'), hex(2, 'c'), hex(3, 'c')];
    await s.putPendingFactor(pending(u, 'f1', 'phone', T), { now: T, maxFactors: 8, replace: false });
    await s.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery: { digests: set, sealed: null } });
    await s.beginAttempt(u, 'active', T, SCHEDULE);
    const results = await Promise.all(Array.from({ length: n }, () => s.consumeRecoveryCode(u, set[1] as string)));
    expect(results.filter((r) => r !== null)).toEqual([{ recoveryCodes: 2 }]);
    expect((await s.getUser(u)).attempts.failures).toBe(0);
  });

  test('replaceRecoveryCodes: concurrent replacements leave exactly one whole set', async () => {
    const s = store();
    const u = uid('rep');
    await s.putPendingFactor(pending(u, 'f1', 'phone', T), { now: T, maxFactors: 8, replace: false });
    await s.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery: { digests: [hex(9, 'f')], sealed: null } });
    const sets = Array.from({ length: n }, (_, i) => [hex(i * 3 + 1, 'e'), hex(i * 3 + 2, 'e'), hex(i * 3 + 3, 'e')]);
    expect(await Promise.all(sets.map((set) => s.replaceRecoveryCodes(u, { digests: set, sealed: null })))).toEqual(sets.map(() => true));
    const left = await Promise.all(sets.flat().map(async (d) => ((await s.consumeRecoveryCode(u, d)) === null ? 0 : 1)));
    const perSet = sets.map((_, i) => left.slice(i * 3, i * 3 + 3).reduce<number>((a, b) => a + b, 0));
    expect(perSet.filter((k) => k === 3)).toHaveLength(1);
    expect(perSet.filter((k) => k !== 0 && k !== 3)).toEqual([]);
  });

  test('beginAttempt: a burst of concurrent wrong guesses is counted one by one against the schedule', async () => {
    const s = store();
    const u = uid('burst');
    await s.putPendingFactor(pending(u, 'f1', 'phone', T), { now: T, maxFactors: 8, replace: false });
    await s.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery: { digests: [], sealed: null } });
    const results = await Promise.all(Array.from({ length: n }, () => s.beginAttempt(u, 'active', T + 5, SCHEDULE)));
    // locks[3] > 0: the third reservation locks, so exactly three are allowed.
    expect(results.filter((r) => r.reservation?.allowed === true)).toHaveLength(3);
    expect(results.every((r) => r.factors.length === 1)).toBe(true);
    expect((await s.getUser(u)).attempts).toEqual({ failures: 3, lockedUntil: T + 5 + 500 });
  });

  test('beginAttempt writes nothing for an unknown or unenrolled user', async () => {
    const s = store();
    const u = uid('nobody');
    expect(await s.beginAttempt(u, 'active', T, SCHEDULE)).toEqual({ factors: [], reservation: null });
    await s.putPendingFactor(pending(u, 'f1', 'phone', T), { now: T, maxFactors: 8, replace: false });
    expect(await s.beginAttempt(u, 'active', T, SCHEDULE)).toEqual({ factors: [], reservation: null });
    expect((await s.getUser(u)).attempts).toEqual({ failures: 0, lockedUntil: null });
  });

  test('putPendingFactor: concurrent enrolments with one label get the same pending factor', async () => {
    const s = store();
    const u = uid('label');
    const results = await Promise.all(Array.from({ length: n }, (_, i) => s.putPendingFactor(pending(u, `f${i}`, 'phone', T), { now: T, maxFactors: 8, replace: false })));
    const ids = new Set(results.map((r) => (r.ok ? r.factor.id : 'limit')));
    expect(ids.size).toBe(1);
    expect((await s.getUser(u)).factors).toHaveLength(1);
  });

  test('removeFactor racing activateFactor never leaves an active factor without its user records', async () => {
    const s = store();
    for (let round = 0; round < (opts.concurrent ? 8 : 2); round++) {
      const u = uid('rm');
      await s.putPendingFactor(pending(u, 'a', 'one', T), { now: T, maxFactors: 8, replace: false });
      await s.activateFactor(u, 'a', { counter: 1, now: T, meta: '{}', recovery: { digests: [hex(1, 'a')], sealed: null } });
      await s.putPendingFactor(pending(u, 'b', 'two', T), { now: T, maxFactors: 8, replace: false });
      const [removed, activated] = await Promise.all([s.removeFactor(u, 'a'), s.activateFactor(u, 'b', { counter: 1, now: T + 1, meta: '{}', recovery: { digests: [hex(2, 'a')], sealed: null } })]);
      const user = await s.getUser(u);
      expect(removed.removed).toBe(true);
      if (removed.disabled) {
        // The removal went first: b went with the user, so it could not be activated.
        expect(activated).toBeNull();
        expect(user).toEqual({ factors: [], attempts: { failures: 0, lockedUntil: null }, recoveryCodes: 0 });
      } else {
        expect(activated).toEqual({ recoveryCodes: 1, recoveryCodesIssued: false });
        expect(user.factors.map((f) => [f.id, f.state])).toEqual([['b', 'active']]);
        expect(user.recoveryCodes).toBe(1);
      }
    }
  });

  test('spendChallenge: concurrent spends take exactly attemptsLeft tries; deleteChallenge is true once', async () => {
    const s = store();
    const id = hex(Date.now(), 'a');
    await s.putChallenge!({ id, userId: uid('ch'), createdAt: T, expiresAt: T + 1000, attemptsLeft: 3 });
    const spent = await Promise.all(Array.from({ length: n }, () => s.spendChallenge!(id, T + 1)));
    expect(spent.filter((c) => c !== null).map((c) => c?.attemptsLeft).sort()).toEqual([0, 1, 2]);
    await s.putChallenge!({ id, userId: 'u', createdAt: T, expiresAt: T + 1000, attemptsLeft: 1 });
    expect((await Promise.all(Array.from({ length: n }, () => s.deleteChallenge!(id)))).filter(Boolean)).toHaveLength(1);
  });

  test('times, counters and ids beyond 2^32 and in any script round-trip exactly', async () => {
    const s = store();
    const u = `𝔘ser ü ${crypto.randomUUID()}`;
    const t = 4_102_444_800_000; // 2100-01-01
    await s.putPendingFactor(pending(u, 'f1', 'Téléphone 📱', t), { now: t, maxFactors: 8, replace: false });
    const meta = pending(u, 'f1', 'Téléphone 📱', t).meta;
    expect(await s.activateFactor(u, 'f1', { counter: 2 ** 40, now: t, meta, recovery: { digests: [], sealed: null } })).toEqual({ recoveryCodes: 0, recoveryCodesIssued: true });
    expect(await s.advanceCounter(u, 'f1', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toEqual({ recoveryCodes: 0 });
    expect((await s.getUser(u)).factors).toEqual([
      { ...pending(u, 'f1', 'Téléphone 📱', t), state: 'active', counter: Number.MAX_SAFE_INTEGER, expiresAt: null, lastUsedAt: Number.MAX_SAFE_INTEGER },
    ]);
  });
}
