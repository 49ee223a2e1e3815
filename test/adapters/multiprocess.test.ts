// Eight separate Node processes, each with its own pool and its own
// createMfa, race on one database: one TOTP code, one recovery code, and a
// burst of wrong guesses. This is where read-then-write stores break.
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { mysqlSkipReason, mysqlUrl, pgUrl, redisClusterNodes, redisUrl, requireDist, ROOT, skipReason, uniquePrefix } from './helpers.js';

const WORKERS = 8;
const ROUNDS = 3;
const BASE = 1_767_225_600_000; // fixed clock: codes are deterministic
const KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
const PEPPER = 'race-pepper';

interface VerifyResult {
  ok: boolean;
  method?: string;
  reason?: string;
}

type Dist = typeof import('../../src/index.js');

const pgbouncerUrl = inject('pgbouncerUrl');
const SHAPES = [
  { kind: 'postgres', url: pgUrl },
  { kind: 'pgbouncer', url: pgbouncerUrl },
  { kind: 'redis', url: redisUrl },
  { kind: 'redis-cluster', url: redisClusterNodes.join(',') },
  { kind: 'mysql', url: mysqlUrl },
] as const;

for (const { kind, url } of SHAPES) {
  const reason = kind === 'mysql' ? mysqlSkipReason : skipReason;
  describe.skipIf(url === '')(`${WORKERS} processes racing on ${kind}${reason ? ` (${reason})` : ''}`, () => {
    const prefix = kind.startsWith('redis') ? uniquePrefix('race').replace(/_$/, ':') : uniquePrefix('race');
    const workers: ChildProcess[] = [];
    let dist: Dist;
    let mfa: ReturnType<Dist['createMfa']>;
    let store: import('../../src/store/types.js').MfaStore;
    let closeParent: () => Promise<void>;
    let clock = BASE;
    let seq = 0;

    beforeAll(async () => {
      requireDist();
      dist = (await import(resolve(ROOT, 'dist/index.js'))) as Dist;
      if (kind === 'postgres' || kind === 'pgbouncer') {
        const { createPostgresStore } = (await import(resolve(ROOT, 'dist/postgres.js'))) as typeof import('../../src/adapters/postgres.js');
        const pool = new pg.Pool({ connectionString: url, max: 2 });
        pool.on('error', () => {});
        const s = createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: kind === 'postgres' });
        await s.migrate();
        store = s;
        closeParent = () => pool.end();
      } else if (kind === 'mysql') {
        const { createMysqlStore } = (await import(resolve(ROOT, 'dist/mysql.js'))) as typeof import('../../src/adapters/mysql.js');
        const mysql = await import('mysql2/promise');
        const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
        const s = createMysqlStore(pool, { tablePrefix: prefix });
        await s.migrate();
        store = s;
        closeParent = () => pool.end();
      } else {
        const { createRedisStore } = (await import(resolve(ROOT, 'dist/redis.js'))) as typeof import('../../src/adapters/redis.js');
        const client =
          kind === 'redis-cluster'
            ? createCluster({ rootNodes: redisClusterNodes.map((u) => ({ url: u })), defaults: { disableOfflineQueue: true } })
            : createClient({ url, disableOfflineQueue: true });
        client.on('error', () => {});
        await client.connect();
        store = createRedisStore(client, { keyPrefix: prefix });
        closeParent = async () => client.destroy();
      }
      mfa = dist.createMfa({ store, issuer: 'Race', secretKeys: { current: 'k1', keys: { k1: KEY } }, pepper: PEPPER, now: () => clock });

      const env = { ...process.env, MFAKIT_RACE_KIND: kind, MFAKIT_RACE_URL: url, MFAKIT_RACE_PREFIX: prefix, MFAKIT_RACE_KEY: KEY, MFAKIT_RACE_PEPPER: PEPPER };
      await Promise.all(
        Array.from({ length: WORKERS }, () => {
          const child = fork(resolve(ROOT, 'test/adapters/race-worker.mjs'), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          workers.push(child);
          return new Promise<void>((ready, fail) => {
            child.once('message', () => ready());
            child.once('exit', (code) => fail(new Error(`race worker exited early with code ${code}`)));
          });
        }),
      );
    });

    afterAll(async () => {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((done) => {
              if (w.exitCode !== null || !w.connected) return done();
              const timer = setTimeout(() => {
                w.kill();
                done();
              }, 5000);
              w.once('exit', () => {
                clearTimeout(timer);
                done();
              });
              w.send({ op: 'close' });
            }),
        ),
      );
      await closeParent?.();
    });

    /** Every worker verifies `codes` (concurrently within the worker) at time `now`; all results, flattened. */
    async function raceAll(userId: string, now: number, codes: string[]): Promise<VerifyResult[]> {
      const id = ++seq;
      const replies = workers.map(
        (w) =>
          new Promise<VerifyResult[]>((done) => {
            const onMessage = (msg: { id?: number; results?: VerifyResult[] }): void => {
              if (msg.id !== id) return;
              w.off('message', onMessage);
              done(msg.results ?? []);
            };
            w.on('message', onMessage);
          }),
      );
      for (const w of workers) w.send({ op: 'verify', id, userId, now, codes });
      return (await Promise.all(replies)).flat();
    }

    async function enrol(userId: string, now: number): Promise<{ secret: string; recoveryCodes: string[] }> {
      clock = now;
      const { secret } = await mfa.beginEnrollment(userId, { account: `${userId}@example.com` });
      const confirmed = await mfa.confirmEnrollment(userId, dist.generateTotp(secret, { now }));
      if (!confirmed.ok || confirmed.recoveryCodes === undefined) throw new Error('enrolment failed');
      return { secret, recoveryCodes: confirmed.recoveryCodes };
    }

    const count = (results: VerifyResult[], pred: (r: VerifyResult) => boolean): number => results.filter(pred).length;

    test(`one TOTP code and one recovery code: exactly one process succeeds, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const userId = `race-${round}-${Date.now()}`;
        const t = BASE + round * 3_600_000;
        const { secret, recoveryCodes } = await enrol(userId, t);

        // The next step's code: not claimed by the confirmation, valid for everyone.
        const code = dist.generateTotp(secret, { now: t + 30_000 });
        const totp = await raceAll(userId, t + 30_000, [code]);
        expect(totp).toHaveLength(WORKERS);
        expect(count(totp, (r) => r.ok)).toBe(1);
        expect(count(totp, (r) => r.ok && r.method === 'totp')).toBe(1);
        for (const r of totp.filter((x) => !x.ok)) expect(['replayed', 'locked']).toContain(r.reason);

        // Start the recovery race unlocked: give the losers' reservations back.
        for (let i = 0; i < WORKERS; i++) await store.refundAttempt(userId, { locks: [0], suspendAfter: 100 });
        const recovery = await raceAll(userId, t + 31_000, [recoveryCodes[round]!.toLowerCase()]);
        expect(count(recovery, (r) => r.ok)).toBe(1);
        expect(count(recovery, (r) => r.ok && r.method === 'recovery')).toBe(1);
        for (const r of recovery.filter((x) => !x.ok)) expect(['mismatch', 'locked']).toContain(r.reason);
        expect((await store.getUser(userId)).recoveryCodes).toBe(recoveryCodes.length - 1);
      }
    });

    test(`a burst of ${WORKERS * 5} wrong guesses: exactly the 4 free ones and the locking fifth are checked, the rest are locked, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const userId = `burst-${round}-${Date.now()}`;
        const t = BASE + round * 3_600_000;
        const { secret } = await enrol(userId, t);
        const now = t + 60_000;
        const valid = new Set([-1, 0, 1].map((k) => dist.generateTotp(secret, { now: now + k * 30_000 })));
        const wrong: string[] = [];
        for (let n = 0; wrong.length < 5; n++) {
          const guess = String(100_000 + n * 7919).padStart(6, '0');
          if (!valid.has(guess)) wrong.push(guess);
        }
        const results = await raceAll(userId, now, wrong);
        expect(results).toHaveLength(WORKERS * 5);
        expect(count(results, (r) => r.ok)).toBe(0);
        expect(count(results, (r) => r.reason === 'mismatch')).toBe(5);
        expect(count(results, (r) => r.reason === 'locked')).toBe(WORKERS * 5 - 5);
        expect((await store.getUser(userId)).attempts).toEqual({ failures: 5, lockedUntil: now + 30_000 });
      }
    });
  });
}
