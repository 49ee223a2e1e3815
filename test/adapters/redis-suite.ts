// The Redis adapter's own tests, shared by redis.test.ts (one server) and
// redis-cluster.test.ts (a 3-master cluster), each with node-redis and ioredis.
import { Cluster as IOCluster, Redis as IORedis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRedisStore, type RedisClient, type RedisStore } from '../../src/adapters/redis.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { runStoreConformance } from '../../src/testing/index.js';
import type { FactorRecord, MfaStore, ThrottleSchedule } from '../../src/store/types.js';
import { uniquePrefix } from './helpers.js';

/** A connected client, as the store gets it, plus raw access for the tests. */
export interface RawRedis {
  client: RedisClient;
  /** One command, routed by `key` in a cluster. */
  command(key: string, args: string[]): Promise<unknown>;
  /** A sender per master (the one server when not a cluster). */
  masters(): Promise<((args: string[]) => Promise<unknown>)[]>;
  /** The client wrapped so that every command it sends is counted. */
  counted(): { client: RedisClient; count: () => number };
  close(): Promise<void>;
}

export type Connect = () => Promise<RawRedis>;

export const connectNodeRedis = (url: string): Connect => async () => {
  const c = createClient({ url, disableOfflineQueue: true });
  c.on('error', () => {});
  await c.connect();
  const command = (_key: string, args: string[]) => c.sendCommand(args);
  return {
    client: c,
    command,
    masters: async () => [(args) => c.sendCommand(args)],
    counted: () => {
      let n = 0;
      return { client: { sendCommand: (args: string[]) => (n++, c.sendCommand(args)) }, count: () => n };
    },
    close: async () => c.destroy(),
  };
};

export const connectNodeRedisCluster = (nodes: string[]): Connect => async () => {
  const c = createCluster({ rootNodes: nodes.map((url) => ({ url })), defaults: { disableOfflineQueue: true } });
  c.on('error', () => {});
  await c.connect();
  const command = (key: string, args: string[]) => c.sendCommand(key, false, args);
  return {
    client: c,
    command,
    masters: async () => Promise.all(c.masters.map(async (m) => { const n = await c.nodeClient(m); return (args: string[]) => n.sendCommand(args); })),
    counted: () => {
      let n = 0;
      const client = {
        sendCommand: (key: string | undefined, readonly: boolean | undefined, args: string[]) => (n++, c.sendCommand(key, readonly, args)),
        getSlotMaster: (slot: number) => c.getSlotMaster(slot),
      };
      return { client, count: () => n };
    },
    close: async () => c.destroy(),
  };
};

const ioCounted = (c: IORedis | IOCluster) => () => {
  let n = 0;
  return { client: { call: (command: string, args: string[]) => (n++, c.call(command, args)) }, count: () => n };
};

export const connectIORedis = (url: string): Connect => async () => {
  const c = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  await c.connect();
  return {
    client: c,
    command: (_key, args) => c.call(args[0] as string, args.slice(1)),
    masters: async () => [(args) => c.call(args[0] as string, args.slice(1))],
    counted: ioCounted(c),
    close: async () => c.disconnect(),
  };
};

export const connectIORedisCluster = (nodes: string[]): Connect => async () => {
  const c = new IOCluster(nodes.map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })), { lazyConnect: true });
  c.on('error', () => {});
  await c.connect();
  return {
    client: c,
    command: (_key, args) => c.call(args[0] as string, args.slice(1)),
    masters: async () => c.nodes('master').map((n) => (args: string[]) => n.call(args[0] as string, args.slice(1))),
    counted: ioCounted(c),
    close: async () => c.disconnect(),
  };
};

/**
 * Every key under `prefix` on every master, with its type, whether it has a
 * TTL, and its value, as text: the raw storage the conformance kit scans for
 * plaintext.
 */
export async function rawDump(raw: RawRedis, prefix: string): Promise<string> {
  const keys = new Set<string>();
  for (const node of await raw.masters()) {
    let cursor = '0';
    do {
      const [next, page] = (await node(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]];
      for (const k of page) keys.add(k);
      cursor = String(next);
    } while (cursor !== '0');
  }
  const lines: string[] = [];
  for (const key of [...keys].sort()) {
    const type = String(await raw.command(key, ['TYPE', key]));
    const ttl = Number(await raw.command(key, ['PTTL', key])) >= 0 ? 'ttl' : 'persistent';
    let value: unknown;
    if (type === 'hash') value = await raw.command(key, ['HGETALL', key]);
    else if (type === 'set') value = ((await raw.command(key, ['SMEMBERS', key])) as string[]).sort();
    else value = await raw.command(key, ['GET', key]);
    lines.push(`${key} ${type} ${ttl} ${JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

const SCHEDULE: ThrottleSchedule = { locks: [0, 0, 0, 1_000, 2_000, 4_000], suspendAfter: 8 };
const T = 1_767_225_600_000;
/** Ids that break naive hash tags or would collide under a lossy encoding. */
const AWKWARD_USERS = ['}x', '{', '}', '{}', '%7B', '%7D', '%', 'a{b}c', '{{}}', 'ünï {cødé} ✓'];
const digest = (n: number): string => n.toString(16).padStart(64, 'd');

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function pending(userId: string, id: string, now: number, over: Partial<FactorRecord> = {}): FactorRecord {
  return { id, userId, kind: 'totp', label: 'phone', state: 'pending', secret: 'sealed:v1', counter: -1, createdAt: now, expiresAt: now + 900_000, lastUsedAt: null, meta: '{"digits":6}', ...over };
}

type Op = [name: string, run: (s: MfaStore) => Promise<unknown>, about?: { challenge: string; now: number; expiresAt: number }];

/** A random call of any store method, on a few users, ids and labels, so calls collide. */
function randomOp(rnd: (n: number) => number, clock: { now: number }, base: number): Op {
  clock.now += rnd(10) === 0 ? rnd(30_000) : rnd(800);
  const now = clock.now;
  const userId = ['alice', '}x'][rnd(2)] as string;
  const fid = `f${rnd(3)}`;
  const counter = rnd(3) === 0 ? base + rnd(50) : rnd(50) - 1;
  const d = digest(rnd(6));
  const cid = digest(100 + rnd(2));
  // Every random value is drawn here, once, so both stores get the same call.
  const factor = pending(userId, fid, now, { label: ['a', 'b', 'c'][rnd(3)] as string, expiresAt: now + 1 + rnd(60_000), secret: `s${rnd(3)}` });
  const limits = { now, maxFactors: 1 + rnd(3), replace: rnd(2) === 0 };
  const issued = [...new Set(Array.from({ length: rnd(4) }, (_, i) => digest(i + rnd(3))))];
  const state = rnd(3) === 0 ? 'pending' : 'active';
  const label = `label ${rnd(3)}`;
  const [expected, sealed] = [`s${rnd(3)}`, `s${rnd(3)}`];
  const replacement = [digest(rnd(6)), digest(6 + rnd(6))];
  const code = { id: cid, userId, digest: d, createdAt: now, expiresAt: now + 1 + rnd(20_000), attemptsLeft: rnd(5) };
  const cooldown = rnd(3) * 1_000;
  const challenge = { id: cid, userId, createdAt: now, expiresAt: now + 1 + rnd(20_000), attemptsLeft: rnd(5) };
  const ops: Op[] = [
    ['getUser', (s) => s.getUser(userId)],
    ['putPendingFactor', (s) => s.putPendingFactor(factor, limits)],
    ['putPendingFactor', (s) => s.putPendingFactor(factor, limits)],
    ['activateFactor', (s) => s.activateFactor(userId, fid, { counter: counter, now: now, meta: '{}', recovery: { digests: issued, sealed: null } })],
    ['activateFactor', (s) => s.activateFactor(userId, fid, { counter: counter, now: now, meta: '{}', recovery: { digests: issued, sealed: null } })],
    ['advanceCounter', (s) => s.advanceCounter(userId, fid, counter, now)],
    ['advanceCounter', (s) => s.advanceCounter(userId, fid, counter, now)],
    ['advanceCounter', (s) => s.advanceCounter(userId, fid, counter, now)],
    ['renameFactor', (s) => s.renameFactor(userId, fid, label)],
    ['resealFactor', (s) => s.resealFactor(userId, fid, expected, sealed)],
    ['removeFactor', (s) => s.removeFactor(userId, fid)],
    ['beginAttempt', (s) => s.beginAttempt(userId, state, now, SCHEDULE)],
    ['beginAttempt', (s) => s.beginAttempt(userId, 'active', now, SCHEDULE)],
    ['refundAttempt', (s) => s.refundAttempt(userId, SCHEDULE)],
    ['replaceRecoveryCodes', (s) => s.replaceRecoveryCodes(userId, { digests: replacement, sealed: null })],
    ['consumeRecoveryCode', (s) => s.consumeRecoveryCode(userId, d)],
    ['consumeRecoveryCode', (s) => s.consumeRecoveryCode(userId, d)],
    ['putCode', (s) => s.putCode!(code, cooldown)],
    ['beginCodeAttempt', (s) => s.beginCodeAttempt!(userId, cid, now, SCHEDULE)],
    ['beginCodeAttempt', (s) => s.beginCodeAttempt!(userId, cid, now, SCHEDULE)],
    ['acceptCode', (s) => s.acceptCode!(userId, cid, SCHEDULE)],
    ['deleteCode', (s) => s.deleteCode!(userId, cid)],
    ['putChallenge', (s) => s.putChallenge!(challenge), { challenge: cid, now, expiresAt: challenge.expiresAt }],
    ['spendChallenge', (s) => s.spendChallenge!(cid, now)],
    ['spendChallenge', (s) => s.spendChallenge!(cid, now)],
    ['deleteChallenge', (s) => s.deleteChallenge!(cid), { challenge: cid, now, expiresAt: 0 }],
  ];
  if (rnd(40) === 0) ops.push(['deleteUser', (s) => s.deleteUser(userId)]);
  return ops[rnd(ops.length)] as Op;
}

/** Factor lists compared as sets: a Redis hash has no order (the adapter sorts by createdAt, then id). */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'factors' && Array.isArray(v) ? [...(v as FactorRecord[])].sort((a, b) => (a.id < b.id ? -1 : 1)) : normalized(v);
  }
  return out;
}

/**
 * The adapter's own tests on the server or cluster `connect` reaches. Until
 * the v2 conformance kit lands, a differential test holds the adapter to
 * createMemoryStore(), the reference semantics, call by call.
 */
export function redisStoreSuite(title: string, connect: Connect, opts: { cluster: boolean; skip: boolean }): void {
  describe.skipIf(opts.skip)(title, () => {
    let raw: RawRedis;
    let store: RedisStore;
    const prefix = uniquePrefix(opts.cluster ? 'cluster' : 'redis').replace(/_$/, ':');
    let run = 0;
    /** A store under a prefix of its own, so a test can read back exactly its keys. */
    const freshStore = (): RedisStore => createRedisStore(raw.client, { keyPrefix: `${prefix}${++run}:` });

    beforeAll(async () => {
      raw = await connect();
      store = createRedisStore(raw.client, { keyPrefix: prefix });
    });
    afterAll(async () => {
      await raw?.close();
    });

    describe('conformance kit', () => {
      let kitStore: RedisStore;
      beforeAll(() => {
        kitStore = createRedisStore(raw.client, { keyPrefix: `${prefix}kit:` });
      });
      runStoreConformance({ describe, test, createStore: () => kitStore, rawDump: () => rawDump(raw, kitStore.keyPrefix) });
    });

    for (const [seed, base] of [
      [1, 0],
      [2, 2 ** 53 - 100],
      [3, 2 ** 40],
    ] as const) {
      test(`answers as createMemoryStore() does, call by call (seed ${seed}, counters from ${base})`, async () => {
        const redis = freshStore();
        const memory = createMemoryStore();
        const rnd = prng(seed);
        // Times near 2^53 as well: the scripts compare and store them exactly.
        const clockR = { now: seed === 2 ? 2 ** 53 - 10_000_000 : T };
        // When a challenge expired: the memory store sweeps it when any later
        // challenge is stored, Redis when its TTL runs out, so whether
        // deleteChallenge still finds it depends on housekeeping alone.
        const challengeExpiry = new Map<string, number>();
        for (let i = 0; i < 1_500; i++) {
          const [name, op, about] = randomOp(rnd, clockR, base);
          const [a, b] = await Promise.all([op(memory).then(ok, err), op(redis).then(ok, err)]);
          if (name === 'putChallenge' && about) challengeExpiry.set(about.challenge, about.expiresAt);
          if (name === 'deleteChallenge' && about && (challengeExpiry.get(about.challenge) ?? Infinity) <= about.now) continue;
          expect(normalized(b), `call ${i}: ${name}`).toEqual(normalized(a));
        }
        // The last word: every user's state read back.
        for (const u of ['alice', '}x']) expect(normalized(await redis.getUser(u))).toEqual(normalized(await memory.getUser(u)));
      });
    }

    test('locks, suspension, refunds and code cooldowns as createMemoryStore() has them, step by step', async () => {
      const redis = freshStore();
      const memory = createMemoryStore();
      const steps: [string, (s: MfaStore) => Promise<unknown>][] = [];
      const u = '}lock{';
      const c = digest(1);
      steps.push(['put', (s) => s.putPendingFactor(pending(u, 'f1', T), { now: T, maxFactors: 8, replace: false })]);
      steps.push(['activate', (s) => s.activateFactor(u, 'f1', { counter: 0, now: T, meta: '{}', recovery: { digests: [digest(2), digest(3)], sealed: null } })]);
      let now = T;
      for (let i = 0; i < 30; i++) {
        now += i % 4 === 0 ? 300 : 5_000;
        const at = now;
        steps.push([`attempt ${i}`, (s) => s.beginAttempt(u, 'active', at, SCHEDULE)]);
        if (i % 7 === 6) steps.push([`refund ${i}`, (s) => s.refundAttempt(u, SCHEDULE)]);
        steps.push([`user ${i}`, (s) => s.getUser(u)]);
      }
      steps.push(['code', (s) => s.putCode!({ id: c, userId: u, digest: digest(4), createdAt: now, expiresAt: now + 300_000, attemptsLeft: 2 }, 60_000)]);
      steps.push(['code again', (s) => s.putCode!({ id: c, userId: u, digest: digest(5), createdAt: now + 59_999, expiresAt: now + 360_000, attemptsLeft: 2 }, 60_000)]);
      steps.push(['code attempt while suspended', (s) => s.beginCodeAttempt!(u, c, now + 1, SCHEDULE)]);
      steps.push(['recovery code clears failures', (s) => s.consumeRecoveryCode(u, digest(2))]);
      for (let i = 0; i < 4; i++) steps.push([`code attempt ${i}`, (s) => s.beginCodeAttempt!(u, c, now + 2 + i, SCHEDULE)]);
      steps.push(['code after cooldown', (s) => s.putCode!({ id: c, userId: u, digest: digest(6), createdAt: now + 60_000, expiresAt: now + 360_000, attemptsLeft: 2 }, 60_000)]);
      steps.push(['code attempt', (s) => s.beginCodeAttempt!(u, c, now + 60_001, SCHEDULE)]);
      steps.push(['accept refunds', (s) => s.acceptCode!(u, c, SCHEDULE)]);
      steps.push(['accept again', (s) => s.acceptCode!(u, c, SCHEDULE)]);
      steps.push(['expired code', (s) => s.putCode!({ id: c, userId: u, digest: digest(7), createdAt: now + 60_002, expiresAt: now + 60_003, attemptsLeft: 2 }, 60_000)]);
      steps.push(['expired code attempt', (s) => s.beginCodeAttempt!(u, c, now + 60_003, SCHEDULE)]);
      steps.push(['user', (s) => s.getUser(u)]);
      const seen = new Set<string>();
      for (const [name, step] of steps) {
        const expected = await step(memory);
        expect(normalized(await step(redis)), name).toEqual(normalized(expected));
        const r = (expected as { reservation?: { allowed: boolean; suspended: boolean } } | null)?.reservation;
        if (r) seen.add(r.allowed ? 'allowed' : r.suspended ? 'suspended' : 'locked');
        if ((expected as { ok?: boolean } | null)?.ok === false) seen.add('blocked');
      }
      // The sequence reaches every branch of the reservation and the cooldown.
      expect([...seen].sort()).toEqual(['allowed', 'blocked', 'locked', 'suspended']);
    });

    test('user ids that break naive hash tags: each user’s keys share one slot, and no two users share keys', async () => {
      const s = freshStore();
      const p = s.keyPrefix;
      for (const [i, u] of AWKWARD_USERS.entries()) {
        expect((await s.putPendingFactor(pending(u, 'f1', T, { secret: `sealed-${i}` }), { now: T, maxFactors: 8, replace: false })).ok).toBe(true);
        expect(await s.activateFactor(u, 'f1', { counter: 5, now: T, meta: '{}', recovery: { digests: [digest(i)], sealed: null } })).toEqual({ recoveryCodes: 1, recoveryCodesIssued: true });
        await s.putCode!({ id: digest(50), userId: u, digest: digest(51), createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5 }, 0);
        expect((await s.beginAttempt(u, 'active', T, SCHEDULE)).reservation?.failures).toBe(1);
      }
      for (const [i, u] of AWKWARD_USERS.entries()) {
        const user = await s.getUser(u);
        expect(user.factors.map((f) => f.secret)).toEqual([`sealed-${i}`]);
        expect(user.attempts.failures).toBe(1);
        expect(await s.consumeRecoveryCode(u, digest(i))).toEqual({ recoveryCodes: 0 });
      }
      const keys = (await rawDump(raw, p)).split('\n').map((line) => line.split(' ')[0] as string);
      // 4 keys per user: factors, attempts (cleared by the recovery code above, so gone), recovery (empty, so gone), codes.
      expect(keys).toHaveLength(AWKWARD_USERS.length * 2);
      expect(keys).toContain(`${p}{%7Dx}:factors`);
      expect(keys).toContain(`${p}{%257B}:codes`);
      expect(keys).toContain(`${p}{a%7Bb%7Dc}:factors`);
      if (opts.cluster) {
        for (const u of AWKWARD_USERS) {
          const tag = `{${u.replace(/[%{}]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}}`;
          const mine = [`${p}${tag}:factors`, `${p}${tag}:attempts`, `${p}${tag}:recovery`, `${p}${tag}:codes`];
          const slots = await Promise.all(mine.map((k) => raw.command(k, ['CLUSTER', 'KEYSLOT', k])));
          expect(new Set(slots).size, u).toBe(1);
        }
      }
      for (const u of AWKWARD_USERS) expect(await s.deleteUser(u)).toBe(true);
      expect(await rawDump(raw, p)).toBe('');
    });

    test('counters and times near 2^53 come back exactly', async () => {
      const u = 'big';
      const near = Number.MAX_SAFE_INTEGER;
      const s = freshStore();
      await s.putPendingFactor(pending(u, 'f1', near - 2_000_000, { expiresAt: near - 1_000 }), { now: near - 2_000_000, maxFactors: 8, replace: false });
      expect(await s.activateFactor(u, 'f1', { counter: near - 2, now: near - 1_500_000, meta: '{}', recovery: { digests: [], sealed: null } })).toEqual({ recoveryCodes: 0, recoveryCodesIssued: true });
      expect(await s.advanceCounter(u, 'f1', near - 1, near - 1)).toEqual({ recoveryCodes: 0 });
      expect(await s.advanceCounter(u, 'f1', near - 1, near - 1)).toBeNull();
      const [f] = (await s.getUser(u)).factors;
      expect(f).toMatchObject({ counter: near - 1, createdAt: near - 2_000_000, lastUsedAt: near - 1, expiresAt: null });
      // A lock computed in Lua: now + 1000 near 2^53 (tostring would print 9.007199254741e+15).
      const schedule: ThrottleSchedule = { locks: [0, 1_000], suspendAfter: 100 };
      const r = await s.beginAttempt(u, 'active', near - 1_001, schedule);
      expect(r.reservation).toEqual({ allowed: true, failures: 1, lockedUntil: near - 1, suspended: false });
      expect((await s.getUser(u)).attempts).toEqual({ failures: 1, lockedUntil: near - 1 });
      await s.putChallenge!({ id: digest(7), userId: u, createdAt: near - 10, expiresAt: near, attemptsLeft: 2 });
      expect(await s.spendChallenge!(digest(7), near - 1)).toEqual({ id: digest(7), userId: u, createdAt: near - 10, expiresAt: near, attemptsLeft: 1 });
    });

    test('concurrent decisive writes succeed exactly once; concurrent reservations all count', async () => {
      const s = freshStore();
      const u = 'racer';
      await s.putPendingFactor(pending(u, 'f1', T), { now: T, maxFactors: 8, replace: false });
      const activations = await Promise.all(Array.from({ length: 20 }, () => s.activateFactor(u, 'f1', { counter: 10, now: T + 1, meta: '{}', recovery: { digests: [digest(1), digest(2)], sealed: null } })));
      expect(activations.filter((a) => a !== null)).toHaveLength(1);
      const advances = await Promise.all(Array.from({ length: 50 }, () => s.advanceCounter(u, 'f1', 11, T + 2)));
      expect(advances.filter((a) => a !== null)).toHaveLength(1);
      const consumes = await Promise.all(Array.from({ length: 30 }, () => s.consumeRecoveryCode(u, digest(1))));
      expect(consumes.filter((c) => c !== null)).toEqual([{ recoveryCodes: 1 }]);
      const many: ThrottleSchedule = { locks: [0], suspendAfter: 1000 };
      const reservations = await Promise.all(Array.from({ length: 40 }, () => s.beginAttempt(u, 'active', T + 3, many)));
      expect(reservations.map((r) => r.reservation?.failures).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      await s.putChallenge!({ id: digest(9), userId: u, createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5 });
      const spends = await Promise.all(Array.from({ length: 20 }, () => s.spendChallenge!(digest(9), T + 4)));
      expect(spends.filter((c) => c !== null).map((c) => c?.attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
      await s.putChallenge!({ id: digest(10), userId: u, createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5 });
      const deletes = await Promise.all(Array.from({ length: 20 }, () => s.deleteChallenge!(digest(10))));
      expect(deletes.filter(Boolean)).toHaveLength(1);
    });

    test('TTLs: pending-only factors, codes and challenges expire; active factors, recovery codes and attempts never do', async () => {
      const s = freshStore();
      const p = s.keyPrefix;
      const u = 'ttl';
      const pttl = (key: string): Promise<number> => raw.command(key, ['PTTL', key]).then(Number);
      await s.putPendingFactor(pending(u, 'f1', T, { expiresAt: T + 900_000 }), { now: T, maxFactors: 8, replace: false });
      const pendingTtl = await pttl(`${p}{ttl}:factors`);
      // 15 min to go, plus the default hour kept past expiry.
      expect(pendingTtl).toBeGreaterThan(900_000);
      expect(pendingTtl).toBeLessThanOrEqual(900_000 + 3_600_001);
      // Confirmation attempts are reserved against the pending factor; suspend the user on the way.
      const strict: ThrottleSchedule = { locks: [0], suspendAfter: 2 };
      await s.beginAttempt(u, 'pending', T, strict);
      expect((await s.beginAttempt(u, 'pending', T, strict)).reservation?.suspended).toBe(true);
      expect(await pttl(`${p}{ttl}:attempts`)).toBe(-1);
      await s.refundAttempt(u, strict);
      expect(await s.activateFactor(u, 'f1', { counter: 3, now: T + 1, meta: '{}', recovery: { digests: [digest(1)], sealed: null } })).not.toBeNull();
      expect(await pttl(`${p}{ttl}:factors`)).toBe(-1);
      expect(await pttl(`${p}{ttl}:recovery`)).toBe(-1);
      // A second pending factor beside an active one gives the hash no TTL.
      await s.putPendingFactor(pending(u, 'f2', T + 2, { label: 'tablet' }), { now: T + 2, maxFactors: 8, replace: false });
      expect(await pttl(`${p}{ttl}:factors`)).toBe(-1);
      await s.putCode!({ id: digest(3), userId: u, digest: digest(4), createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5 }, 60_000);
      expect(await pttl(`${p}{ttl}:codes`)).toBeGreaterThan(300_000);
      await s.putChallenge!({ id: digest(5), userId: u, createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5 });
      expect(await pttl(`${p}challenge:${digest(5)}`)).toBeGreaterThan(300_000);
      expect(await pttl(`${p}challenge:${digest(5)}`)).toBeLessThanOrEqual(300_000 + 3_600_001);
      // Suspension outlives everything but a reset.
      await s.beginAttempt(u, 'active', T + 3, strict);
      expect((await s.beginAttempt(u, 'active', T + 3, strict)).reservation?.suspended).toBe(true);
      expect(await pttl(`${p}{ttl}:attempts`)).toBe(-1);
      expect(await s.deleteUser(u)).toBe(true);
      // The challenge is not the user's to delete: it re-checks the user's factors when used.
      expect((await rawDump(raw, p)).split('\n').map((l) => l.split(' ')[0])).toEqual([`${p}challenge:${digest(5)}`]);
    });

    test('round trips: a right TOTP code costs 2, a wrong one 1', async () => {
      const { client, count } = raw.counted();
      const s = createRedisStore(client, { keyPrefix: `${prefix}rt:` });
      const u = 'rt';
      await s.putPendingFactor(pending(u, 'f1', T), { now: T, maxFactors: 8, replace: false });
      await s.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery: { digests: [], sealed: null } });
      await s.beginAttempt(u, 'active', T, SCHEDULE); // the scripts are in every node's cache from here on
      await s.advanceCounter(u, 'f1', 2, T);
      const before = count();
      const right = await s.beginAttempt(u, 'active', T + 30_000, SCHEDULE);
      expect(right.reservation?.allowed).toBe(true);
      expect(await s.advanceCounter(u, 'f1', 3, T + 30_000)).toEqual({ recoveryCodes: 0 });
      expect(count() - before).toBe(2);
      const wrong = count();
      expect((await s.beginAttempt(u, 'active', T + 60_000, SCHEDULE)).reservation?.failures).toBe(1);
      expect(count() - wrong).toBe(1);
    });

    test('after SCRIPT FLUSH on every node, EVALSHA falls back to EVAL once and the scripts are cached again', async () => {
      const { client, count } = raw.counted();
      const s = createRedisStore(client, { keyPrefix: `${prefix}flush:` });
      const users = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
      for (const u of users) await s.putPendingFactor(pending(u, 'f1', T), { now: T, maxFactors: 8, replace: false });
      await Promise.all((await raw.masters()).map((node) => node(['SCRIPT', 'FLUSH'])));
      // In a cluster these users live on different nodes: each node's cache is refilled by its own EVAL.
      for (const u of users) {
        const before = count();
        expect((await s.getUser(u)).factors).toHaveLength(1);
        const first = count() - before;
        expect(first === 1 || first === 2).toBe(true);
        const again = count();
        await s.getUser(u);
        expect(count() - again).toBe(1);
      }
    });

    test('the client is detected by shape; bad options are INVALID_CONFIG', async () => {
      expect(store.supports).toEqual({ oneTime: true, devices: true, listing: false });
      expect(store.keyPrefix).toBe(prefix);
      for (const bad of [
        () => createRedisStore({} as never),
        () => createRedisStore(null as never),
        () => createRedisStore(raw.client, { keyPrefix: 5 as never }),
        () => createRedisStore(raw.client, { keyPrefix: undefined } as never),
        () => createRedisStore(raw.client, { retainExpiredMs: -1 }),
        () => createRedisStore(raw.client, { retainExpiredMs: 1.5 }),
        () => createRedisStore(raw.client, null as never),
      ]) {
        expect(bad).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG' }));
      }
    });
  });
}

const ok = (value: unknown): unknown => ({ ok: value });
const err = (e: unknown): unknown => ({ error: e instanceof TypeError ? 'TypeError' : String(e) });
