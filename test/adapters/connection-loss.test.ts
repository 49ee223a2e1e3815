// A store call whose connection is killed mid-flow must surface as
// MfaError('STORE_UNAVAILABLE'), never as a success, and leave the store in
// the state of the calls before it: each store call is all-or-nothing.
//
// The faulty client kills its own server connection right before its n-th
// call (pg_terminate_backend / CLIENT KILL from a second connection), for
// every n of a flow, then the test checks the state through a healthy connection.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMysqlStore, type MysqlValue } from '../../src/adapters/mysql.js';
import { createPostgresStore } from '../../src/adapters/postgres.js';
import { createRedisStore } from '../../src/adapters/redis.js';
import { isMfaError } from '../../src/errors.js';
import { generateTotp } from '../../src/index.js';
import { createMfa } from '../../src/flows/index.js';
import type { MfaStore } from '../../src/store/types.js';
import { mysqlSkipReason, mysqlUrl, pgUrl, redisUrl, skipReason, uniquePrefix } from './helpers.js';

const T = 1_767_225_600_000;
const secretKeys = { current: 'k1', keys: { k1: new Uint8Array(32).fill(9) } };
const mfaFor = (store: MfaStore, now: number) => createMfa({ store, issuer: 'Loss', secretKeys, pepper: 'p', now: () => now });

/** A store over a connection that is killed right before call number `failAt` (1-based). */
interface Faulty {
  store: MfaStore;
  calls(): number;
  close(): Promise<void>;
}

interface Harness {
  healthy: MfaStore;
  faulty(failAt: number): Promise<Faulty>;
}

async function expectUnavailable(p: Promise<unknown>): Promise<void> {
  let caught: unknown;
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    caught = e;
  }
  expect(value, 'a flow over a dead connection returned a value').toBeUndefined();
  expect(isMfaError(caught, 'STORE_UNAVAILABLE'), `expected STORE_UNAVAILABLE, got ${String(caught)}`).toBe(true);
}

function flows(h: () => Harness): void {
  let n = 0;
  const user = (): string => `loss-${Date.now()}-${++n}`;
  const stateOf = async (u: string) => {
    const { factors, attempts, recoveryCodes } = await h().healthy.getUser(u);
    return { state: factors[0]?.state, counter: factors[0]?.counter, failures: attempts.failures, recoveryCodes };
  };

  // confirmEnrollment: beginAttempt, activateFactor (then a best-effort refund when that fails).
  test('confirmEnrollment: the factor stays pending, with no recovery codes, and can be confirmed after reconnecting', async () => {
    for (let failAt = 1; failAt <= 2; failAt++) {
      const u = user();
      const { secret } = await mfaFor(h().healthy, T).beginEnrollment(u, { account: 'a@example.com' });
      const f = await h().faulty(failAt);
      await expectUnavailable(mfaFor(f.store, T).confirmEnrollment(u, generateTotp(secret, { now: T })));
      expect(f.calls()).toBeGreaterThanOrEqual(failAt);
      await f.close();
      expect(await stateOf(u)).toMatchObject({ state: 'pending', recoveryCodes: 0 });
      const retry = await mfaFor(h().healthy, T).confirmEnrollment(u, generateTotp(secret, { now: T }));
      expect(retry).toMatchObject({ ok: true, recoveryCodes: expect.any(Array) });
      expect(await stateOf(u)).toMatchObject({ state: 'active', failures: 0, recoveryCodes: 10 });
    }
  });

  // verify with a code: beginAttempt, advanceCounter.
  test('verify (TOTP): a lost call is an error and claims nothing; the code still signs in after reconnecting', async () => {
    for (let failAt = 1; failAt <= 2; failAt++) {
      const u = user();
      const { secret } = await mfaFor(h().healthy, T).beginEnrollment(u, { account: 'a@example.com' });
      expect((await mfaFor(h().healthy, T).confirmEnrollment(u, generateTotp(secret, { now: T }))).ok).toBe(true);
      const now = T + 30_000;
      const code = generateTotp(secret, { now });
      const f = await h().faulty(failAt);
      await expectUnavailable(mfaFor(f.store, now).verify(u, code));
      await f.close();
      // The reservation of a lost second call may stay (its refund went over the dead connection too): at most one.
      const state = await stateOf(u);
      expect(state).toMatchObject({ state: 'active', counter: Math.floor(T / 30_000) });
      expect(state.failures).toBe(failAt === 1 ? 0 : 1);
      const again = await mfaFor(h().healthy, now).verify(u, code);
      expect(again.ok ? 'ok' : again.reason).toBe('ok');
      expect((await stateOf(u)).failures).toBe(0);
    }
  });

  // verify with a recovery code: beginAttempt, consumeRecoveryCode.
  test('verify (recovery code): a lost call spends nothing; the code still works after reconnecting', async () => {
    for (let failAt = 1; failAt <= 2; failAt++) {
      const u = user();
      const { secret } = await mfaFor(h().healthy, T).beginEnrollment(u, { account: 'a@example.com' });
      const confirmed = await mfaFor(h().healthy, T).confirmEnrollment(u, generateTotp(secret, { now: T }));
      if (!confirmed.ok || confirmed.recoveryCodes === undefined) throw new Error('confirm failed');
      const code = confirmed.recoveryCodes[0]!;
      const f = await h().faulty(failAt);
      await expectUnavailable(mfaFor(f.store, T + 1000).verify(u, code));
      await f.close();
      expect((await stateOf(u)).recoveryCodes).toBe(10);
      const again = await mfaFor(h().healthy, T + 1000).verify(u, code);
      expect(again).toMatchObject({ ok: true, remainingRecoveryCodes: 9 });
    }
  });

  test('regenerateRecoveryCodes: the old set stays whole or is fully replaced', async () => {
    const u = user();
    const { secret } = await mfaFor(h().healthy, T).beginEnrollment(u, { account: 'a@example.com' });
    const confirmed = await mfaFor(h().healthy, T).confirmEnrollment(u, generateTotp(secret, { now: T }));
    if (!confirmed.ok || confirmed.recoveryCodes === undefined) throw new Error('confirm failed');
    // Re-verified with a code first (beginAttempt, advanceCounter), then replaceRecoveryCodes, killed.
    const f = await h().faulty(3);
    await expectUnavailable(mfaFor(f.store, T + 30_000).regenerateRecoveryCodes(u, { code: generateTotp(secret, { now: T + 30_000 }) }));
    expect(f.calls()).toBeGreaterThanOrEqual(3);
    await f.close();
    expect((await stateOf(u)).recoveryCodes).toBe(10);
    expect((await mfaFor(h().healthy, T + 1).verify(u, confirmed.recoveryCodes[5]!)).ok).toBe(true);
  });
}

describe.skipIf(pgUrl === '')(`Postgres: connection killed mid-flow${skipReason ? ` (${skipReason})` : ''}`, () => {
  let admin: pg.Pool;
  let harness: Harness;
  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: pgUrl, max: 2 });
    admin.on('error', () => {});
    const tablePrefix = uniquePrefix('loss');
    const healthy = createPostgresStore(admin, { tablePrefix });
    await healthy.migrate();
    harness = {
      healthy,
      async faulty(failAt) {
        const victim = new pg.Client({ connectionString: pgUrl });
        const dead = new Promise<void>((resolve) => {
          victim.on('error', () => resolve());
          victim.on('end', () => resolve());
        });
        await victim.connect();
        const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        let calls = 0;
        const client = {
          async query(text: string, params?: unknown[]) {
            if (++calls === failAt) {
              await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
              await dead;
            }
            return victim.query(text, params);
          },
        };
        return { store: createPostgresStore(client, { tablePrefix }), calls: () => calls, close: () => victim.end().catch(() => {}) };
      },
    };
  });
  afterAll(async () => {
    await admin?.end();
  });
  flows(() => harness);
});

describe.skipIf(redisUrl === '')(`Redis: connection killed mid-flow${skipReason ? ` (${skipReason})` : ''}`, () => {
  let admin: ReturnType<typeof createClient>;
  let harness: Harness;
  beforeAll(async () => {
    admin = createClient({ url: redisUrl, disableOfflineQueue: true });
    admin.on('error', () => {});
    await admin.connect();
    const keyPrefix = uniquePrefix('loss').replace(/_$/, ':');
    harness = {
      healthy: createRedisStore(admin, { keyPrefix }),
      async faulty(failAt) {
        // No reconnection: after the kill every call fails until a new client is made.
        const victim = createClient({ url: redisUrl, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
        const dead = new Promise<void>((resolve) => {
          victim.on('error', () => resolve());
          victim.on('end', () => resolve());
        });
        await victim.connect();
        const id = String(await victim.sendCommand(['CLIENT', 'ID']));
        let calls = 0;
        const client = {
          async sendCommand(args: string[]) {
            if (++calls === failAt) {
              await admin.sendCommand(['CLIENT', 'KILL', 'ID', id]);
              await dead;
            }
            return victim.sendCommand(args);
          },
        };
        return {
          store: createRedisStore(client, { keyPrefix }),
          calls: () => calls,
          close: async () => {
            if (victim.isOpen) victim.destroy();
          },
        };
      },
    };
  });
  afterAll(() => {
    admin?.destroy();
  });
  flows(() => harness);
});

describe.skipIf(mysqlUrl === '')(`MySQL/MariaDB: connection killed mid-flow${mysqlSkipReason ? ` (${mysqlSkipReason})` : ''}`, () => {
  let admin: mysql.Pool;
  let harness: Harness;
  beforeAll(async () => {
    admin = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
    const tablePrefix = uniquePrefix('loss');
    const healthy = createMysqlStore(admin, { tablePrefix });
    await healthy.migrate();
    harness = {
      healthy,
      async faulty(failAt) {
        const victim = await mysql.createConnection({ uri: mysqlUrl });
        const dead = new Promise<void>((resolve) => {
          victim.on('error', () => resolve());
          (victim as unknown as { connection: { stream: NodeJS.EventEmitter } }).connection.stream.on('close', () => resolve());
        });
        const [rows] = await victim.query('SELECT CONNECTION_ID() AS id');
        const id = Number((rows as { id: unknown }[])[0]?.id);
        let calls = 0;
        const kill = async (): Promise<void> => {
          if (++calls === failAt) {
            await admin.query(`KILL ${id}`);
            await dead;
          }
        };
        const client = {
          async query(sql: string, values?: MysqlValue[]) {
            await kill();
            return victim.query(sql, values);
          },
          async execute(sql: string, values?: MysqlValue[]) {
            await kill();
            return victim.execute(sql, values);
          },
        };
        return { store: createMysqlStore(client, { tablePrefix }), calls: () => calls, close: () => victim.end().catch(() => {}) };
      },
    };
  });
  afterAll(async () => {
    await admin?.end();
  });
  flows(() => harness);
});
