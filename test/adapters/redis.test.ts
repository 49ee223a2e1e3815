import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRedisStore } from '../../src/adapters/redis.js';
import { isMfaError } from '../../src/errors.js';
import type { MfaStore } from '../../src/store/types.js';
import { runStoreConformance } from '../../src/testing/index.js';
import { redisUrl, skipReason, uniquePrefix } from './helpers.js';

const title = (client: string): string => `Redis adapter (${client}) on a real server${skipReason ? ` (${skipReason})` : ''}`;

describe.skipIf(redisUrl === '')(title('redis v5'), () => {
  let client: ReturnType<typeof createClient>;
  let store: MfaStore;
  const prefix = uniquePrefix('conf').replace(/_$/, ':');

  beforeAll(async () => {
    client = createClient({ url: redisUrl, disableOfflineQueue: true });
    client.on('error', () => {});
    await client.connect();
    store = createRedisStore(client, { keyPrefix: prefix });
  });
  afterAll(async () => {
    client?.destroy();
  });

  runStoreConformance({ describe, test, createStore: () => store });

  test('a flushed script cache falls back from EVALSHA to EVAL', async () => {
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    const u = `flush-${Date.now()}`;
    expect(await store.putPendingFactor({ userId: u, state: 'pending', secret: 's', createdAt: 1, expiresAt: 2, lastStep: -1 })).toBe(true);
    expect((await store.getFactor(u))?.secret).toBe('s');
  });

  test('pending factors and challenges get a TTL; active factors and recovery sets none', async () => {
    const u = `ttl-${Date.now()}`;
    const now = 1_767_225_600_000;
    await store.putPendingFactor({ userId: u, state: 'pending', secret: 's', createdAt: now, expiresAt: now + 900_000, lastStep: -1 });
    const pendingTtl = Number(await client.sendCommand(['PTTL', `${prefix}factor:${u}`]));
    expect(pendingTtl).toBeGreaterThan(900_000);
    expect(pendingTtl).toBeLessThanOrEqual(900_000 + 3_600_001);
    await store.activateFactor(u, 's', 5, now + 1, ['h1', 'h2']);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}factor:${u}`]))).toBe(-1);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}recovery:${u}`]))).toBe(-1);
    await store.putChallenge(`${u}-c`, { userId: u, purpose: 'p', digest: 'd', destination: '', createdAt: now, expiresAt: now + 300_000, attemptsLeft: 5 }, 0);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}challenge:${u}-c`]))).toBeGreaterThan(300_000);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}user-challenges:${u}`]))).toBeGreaterThan(300_000);
    expect(await store.deleteUser(u)).toBe(true);
    expect(Number(await client.sendCommand(['EXISTS', `${prefix}challenge:${u}-c`, `${prefix}user-challenges:${u}`]))).toBe(0);
  });

  test('the per-user challenge index forgets challenges Redis has expired', async () => {
    // retainExpiredMs 0 and a 1 ms lifetime: Redis drops the challenge keys almost at once.
    const short = createRedisStore(client, { keyPrefix: prefix, retainExpiredMs: 0 });
    const u = `idx-${Date.now()}`;
    const ch = { userId: u, purpose: 'p', digest: 'd', destination: '', createdAt: 1000, expiresAt: 1001, attemptsLeft: 5 };
    for (const id of ['a', 'b', 'c']) await short.putChallenge(`${u}-${id}`, ch, 0);
    const gone = async (): Promise<boolean> =>
      Number(await client.sendCommand(['EXISTS', `${prefix}challenge:${u}-a`, `${prefix}challenge:${u}-b`, `${prefix}challenge:${u}-c`])) === 0;
    for (let i = 0; i < 200 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 5));
    expect(await gone()).toBe(true);
    await store.putChallenge(`${u}-d`, { ...ch, expiresAt: 10_000_000 }, 0);
    expect(await client.sendCommand(['SMEMBERS', `${prefix}user-challenges:${u}`])).toEqual([`${u}-d`]);
  });

  test('attempt counters: no TTL by default; with attemptsTtlMs one that outlasts the lock; never once suspended', async () => {
    const policy = { freeFailures: 2, baseLockMs: 30_000, maxLockMs: 900_000, suspendAfter: 3 };
    const u = `att-${Date.now()}`;
    await store.reserveAttempt(u, 1000, policy);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}attempts:${u}`]))).toBe(-1);

    const ttlStore = createRedisStore(client, { keyPrefix: prefix, attemptsTtlMs: 60_000 });
    const v = `att2-${Date.now()}`;
    await ttlStore.reserveAttempt(v, 1000, policy);
    const first = Number(await client.sendCommand(['PTTL', `${prefix}attempts:${v}`]));
    expect(first).toBeGreaterThan(55_000);
    expect(first).toBeLessThanOrEqual(60_001);
    const locked = await ttlStore.reserveAttempt(v, 2000, policy); // reaches freeFailures: 30 s lock
    expect(locked.lockedUntil).toBe(32_000);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}attempts:${v}`]))).toBeGreaterThan(85_000);
    const last = await ttlStore.reserveAttempt(v, 40_000, policy); // third failure: suspended
    expect(last.suspended).toBe(true);
    expect(Number(await client.sendCommand(['PTTL', `${prefix}attempts:${v}`]))).toBe(-1);
  });
});

describe.skipIf(redisUrl === '')(title('ioredis'), () => {
  let client: IORedis;
  let store: MfaStore;
  beforeAll(async () => {
    client = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    await client.connect();
    store = createRedisStore(client, { keyPrefix: uniquePrefix('io').replace(/_$/, ':') });
  });
  afterAll(() => {
    client?.disconnect();
  });
  runStoreConformance({ describe, test, createStore: () => store });
});

describe('createRedisStore options', () => {
  const client = { sendCommand: async () => null };
  test('bad clients and options are refused with INVALID_CONFIG', () => {
    for (const bad of [
      () => createRedisStore({} as never),
      () => createRedisStore(null as never),
      () => createRedisStore(client, { keyPrefix: 5 as never }),
      () => createRedisStore(client, { retainExpiredMs: -1 }),
      () => createRedisStore(client, { attemptsTtlMs: 1.5 }),
    ]) {
      let caught: unknown;
      try {
        bad();
      } catch (e) {
        caught = e;
      }
      expect(isMfaError(caught, 'INVALID_CONFIG')).toBe(true);
    }
  });
});
