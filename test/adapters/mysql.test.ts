import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMysqlStore, mysqlSchemaSql, mysqlSchemaStatements, type MysqlClient, type MysqlStore, type MysqlValue } from '../../src/adapters/mysql.js';
import type { PostgresStore } from '../../src/adapters/postgres.js';
import { isMfaError } from '../../src/errors.js';
import { createMfa } from '../../src/flows/index.js';
import { runStoreConformance } from '../../src/testing/index.js';
import { mysqlSkipReason, mysqlUrl, uniquePrefix } from './helpers.js';
import { postgresStoreCases } from './postgres-cases.js';

const T = 1_767_225_600_000;
const SCHEDULE = { locks: [0, 0, 1000], suspendAfter: 10 };
const TABLES = ['factors_v2', 'attempts_v2', 'recovery_v2', 'codes_v2', 'challenges_v2', 'devices_v2'];

/** Every row of the store's tables as JSON, `VARBINARY` shown as the UTF-8 text it holds. */
export async function mysqlRawDump(pool: mysql.Pool, tablePrefix: string): Promise<string> {
  const out: string[] = [];
  for (const table of TABLES) {
    const [rows] = await pool.query(`SELECT * FROM \`${tablePrefix}${table}\``);
    for (const row of rows as Record<string, unknown>[]) {
      out.push(`${table} ${JSON.stringify(row, (_k, v: unknown) => (v instanceof Uint8Array || (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer') ? Buffer.from((v as { data?: number[] }).data ?? (v as Uint8Array)).toString('utf8') : v))}`);
    }
  }
  return out.join('\n');
}

/** Counts the calls a store sends: one call of `query` or `execute` is one round trip. */
function countingClient(inner: mysql.Pool): MysqlClient & { calls: number } {
  const counted = {
    calls: 0,
    query(sql: string, values?: MysqlValue[]) {
      counted.calls++;
      return inner.query(sql, values);
    },
    execute(sql: string, values?: MysqlValue[]) {
      counted.calls++;
      return inner.execute(sql, values);
    },
  };
  return counted;
}

const pending = (userId: string, id: string, label: string, now = T) =>
  ({ id, userId, kind: 'totp', label, state: 'pending' as const, secret: `sealed:${id}`, counter: -1, createdAt: now, expiresAt: now + 1000, lastUsedAt: null, meta: '{}' });

describe.skipIf(mysqlUrl === '')(`MySQL adapter on MariaDB${mysqlSkipReason ? ` (${mysqlSkipReason})` : ''}`, () => {
  let pool: mysql.Pool;
  let store: MysqlStore;
  const prefix = uniquePrefix('my');

  beforeAll(async () => {
    pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 10, charset: 'utf8mb4' });
    store = createMysqlStore(pool, { tablePrefix: prefix });
    await store.migrate();
  });
  afterAll(async () => {
    await pool?.end();
  });

  // The parallel cases run here on 10 real connections, so the row locks,
  // not a single connection, are what serialise them.
  describe('conformance kit, prepared statements (execute)', () => {
    runStoreConformance({ describe, test, createStore: () => store, rawDump: () => mysqlRawDump(pool, prefix) });
  });
  describe('conformance kit, plain statements (query)', () => {
    const plain = (): MysqlStore => createMysqlStore(pool, { tablePrefix: prefix, preparedStatements: false });
    runStoreConformance({ describe, test, createStore: plain, rawDump: () => mysqlRawDump(pool, prefix) });
  });
  // The Postgres suites' raced and differential cases use only MfaStore methods.
  describe('shared cases', () => postgresStoreCases(() => store as unknown as PostgresStore, { concurrent: true }));

  test('every method is one call: a right TOTP code costs 2 round trips, a wrong one 1', async () => {
    const client = countingClient(pool);
    const s = createMysqlStore(client, { tablePrefix: prefix });
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
      const before = client.calls;
      await step();
      expect(`${name}: ${client.calls - before}`).toBe(`${name}: 1`);
    }
  });

  test('user ids and labels that differ only in case, accents or trailing spaces never collide', async () => {
    const base = `Zoë-${crypto.randomUUID()}`;
    const ids = [base, base.toUpperCase(), base.toLowerCase(), base.replace('ë', 'e'), base.replace('ë', 'e\u0308'), `${base} `, `${base}\u00a0`];
    expect(new Set(ids).size).toBe(ids.length);
    for (const [i, u] of ids.entries()) {
      expect(await store.putPendingFactor({ ...pending(u, 'f1', 'phone'), secret: `sealed:${i}` }, { now: T, maxFactors: 1, replace: false })).toMatchObject({ ok: true });
      const recovery = { digests: [i.toString(16).padStart(64, '0')], sealed: `sealed-set:${i}` };
      expect(await store.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery })).toEqual({ recoveryCodes: 1, recoveryCodesIssued: true });
    }
    for (const [i, u] of ids.entries()) {
      const { factors } = await store.getUser(u);
      expect(factors.map((f) => [f.userId, f.secret])).toEqual([[u, `sealed:${i}`]]);
      expect(await store.getRecoveryCodes(u)).toEqual({ digests: [i.toString(16).padStart(64, '0')], sealed: `sealed-set:${i}` });
    }
    // Labels are compared byte for byte too: each of these is a new pending factor.
    const u = ids[0] as string;
    for (const [i, label] of ['Phone', 'phone', 'phóne', 'phone '].entries()) {
      const r = await store.putPendingFactor(pending(u, `p${i}`, label), { now: T, maxFactors: 8, replace: false });
      expect(r.ok && r.factor.id).toBe(`p${i}`);
    }
    expect(await store.deleteUser(ids[1] as string)).toBe(true);
    expect((await store.getUser(ids[0] as string)).factors).toHaveLength(5);
    expect((await store.getUser(ids[2] as string)).factors).toHaveLength(1);
  });

  test('a user with pending factors only has no recovery codes, digests or copy', async () => {
    const u = `pend-${crypto.randomUUID()}`;
    await store.putPendingFactor(pending(u, 'f1', 'phone'), { now: T, maxFactors: 8, replace: false });
    expect(await store.getRecoveryCodes(u)).toEqual({ digests: [], sealed: null });
    expect(await store.replaceRecoveryCodes(u, { digests: ['a'.repeat(64)], sealed: 'x' })).toBe(false);
    expect((await store.getUser(u)).recoveryCodes).toBe(0);
  });

  test('a store that was never migrated rejects with the driver error, and the flows say "run store.migrate()"', async () => {
    const s = createMysqlStore(pool, { tablePrefix: uniquePrefix('none') });
    await expect(s.getUser('u')).rejects.toMatchObject({ errno: 1305 });
    const mfa = createMfa({ store: s, issuer: 'X', secretKeys: { current: 'k', keys: { k: new Uint8Array(32) } }, pepper: 'p' });
    const err = await mfa.status('u').then(() => null, (e: unknown) => e);
    expect(isMfaError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/run store\.migrate\(\)/);
  });

  test('a dropped table rejects with ER_NO_SUCH_TABLE (1146) and the same hint', async () => {
    const p = uniquePrefix('drop');
    const s = createMysqlStore(pool, { tablePrefix: p });
    await s.migrate();
    await pool.query(`DROP TABLE \`${p}factors_v2\``);
    await expect(s.getUser('u')).rejects.toMatchObject({ errno: 1146, code: 'ER_NO_SUCH_TABLE' });
    const mfa = createMfa({ store: s, issuer: 'X', secretKeys: { current: 'k', keys: { k: new Uint8Array(32) } }, pepper: 'p' });
    await expect(mfa.status('u')).rejects.toThrow(/run store\.migrate\(\)/);
  });

  test('a failed call leaves no transaction open on its connection', async () => {
    const conn = await pool.getConnection();
    try {
      const p = uniquePrefix('tx');
      const s = createMysqlStore(conn, { tablePrefix: p });
      await s.migrate();
      await conn.query(`DROP TABLE \`${p}attempts_v2\``);
      await s.putPendingFactor(pending('tx-user', 'f1', 'phone'), { now: T, maxFactors: 8, replace: false });
      // beginAttempt fails at the attempts table, after its transaction started.
      await expect(s.beginAttempt('tx-user', 'pending', T, SCHEDULE)).rejects.toMatchObject({ errno: 1146 });
      const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = CONNECTION_ID()');
      expect(Number((rows as { n: unknown }[])[0]?.n)).toBe(0);
    } finally {
      conn.release();
    }
  });

  test('migrate is idempotent, safe from concurrent callers, and replaces only procedures that changed', async () => {
    const p = uniquePrefix('mig');
    const stores = Array.from({ length: 4 }, () => createMysqlStore(pool, { tablePrefix: p }));
    await Promise.all(stores.map((s) => s.migrate()));
    const count = async (kind: 'TABLES' | 'ROUTINES', column: string): Promise<number> => {
      const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM information_schema.${kind} WHERE ${column} = DATABASE() AND LEFT(${kind === 'TABLES' ? 'TABLE_NAME' : 'ROUTINE_NAME'}, ?) = ?`, [p.length, p]);
      return Number((rows as { n: unknown }[])[0]?.n);
    };
    expect(await count('TABLES', 'TABLE_SCHEMA')).toBe(6);
    const procedures = await count('ROUTINES', 'ROUTINE_SCHEMA');
    expect(procedures).toBeGreaterThan(25);
    const counted = countingClient(pool);
    await createMysqlStore(counted, { tablePrefix: p }).migrate();
    // 6 CREATE TABLE IF NOT EXISTS, the version, the list of procedures: nothing recreated.
    expect(counted.calls).toBe(8);
    await pool.query(`DROP PROCEDURE \`${p}getUser_v2\``);
    await stores[0]!.migrate();
    expect(await count('ROUTINES', 'ROUTINE_SCHEMA')).toBe(procedures);
    expect((await stores[1]!.getUser('x')).factors).toEqual([]);
  });

  test('the statements of mysqlSchemaStatements create a working store', async () => {
    const p = uniquePrefix('ddl');
    for (const ddl of mysqlSchemaStatements({ tablePrefix: p })) await pool.query(ddl);
    const s = createMysqlStore(pool, { tablePrefix: p });
    const u = `ddl-${crypto.randomUUID()}`;
    expect((await s.putPendingFactor(pending(u, 'f1', 'phone', 1), { now: 1, maxFactors: 8, replace: false })).ok).toBe(true);
    expect((await s.getUser(u)).factors[0]?.expiresAt).toBe(1001);
  });

  test('each writing procedure sets READ COMMITTED for its own transaction and leaves the session as it was', async () => {
    const conn = await pool.getConnection();
    try {
      const s = createMysqlStore(conn, { tablePrefix: prefix });
      await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE');
      const u = `iso-${crypto.randomUUID()}`;
      await s.putPendingFactor(pending(u, 'f1', 'phone'), { now: T, maxFactors: 8, replace: false });
      expect((await s.beginAttempt(u, 'pending', T, SCHEDULE)).reservation?.allowed).toBe(true);
      const [rows] = await conn.query('SELECT @@tx_isolation AS level');
      expect((rows as { level: string }[])[0]?.level).toBe('SERIALIZABLE');
      const [[proc]] = (await conn.query(`SHOW CREATE PROCEDURE \`${prefix}beginAttempt_v2\``)) as unknown as [Record<string, string>[]];
      expect(proc?.['Create Procedure']).toMatch(/SET TRANSACTION ISOLATION LEVEL READ COMMITTED;\s+START TRANSACTION;/);
      await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    } finally {
      conn.release();
    }
  });

  test('purgeExpired drops expired challenges, codes and pending factors only', async () => {
    const u = `purge-${crypto.randomUUID()}`;
    const id = (c: string): string => c.repeat(64);
    await store.putPendingFactor({ ...pending(u, 'f1', 'phone', 100), expiresAt: 200 }, { now: 100, maxFactors: 8, replace: false });
    await store.putChallenge!({ id: id('1'), userId: u, createdAt: 100, expiresAt: 200, attemptsLeft: 5 });
    await store.putChallenge!({ id: id('2'), userId: u, createdAt: 100, expiresAt: 10_000_000_000_000, attemptsLeft: 5 });
    await store.putCode!({ id: id('3'), userId: u, digest: id('4'), createdAt: 100, expiresAt: 200, attemptsLeft: 5 }, 0);
    expect(await store.purgeExpired(300)).toBeGreaterThanOrEqual(3);
    expect((await store.getUser(u)).factors).toEqual([]);
    expect(await store.deleteCode!(u, id('3'))).toBe(false);
    expect(await store.deleteChallenge!(id('1'))).toBe(false);
    expect(await store.deleteChallenge!(id('2'))).toBe(true);
  });
});

describe('createMysqlStore options', () => {
  const client = { query: async () => [[], []], execute: async () => [[], []] };
  test.each([['x-y'], [''], ['1abc'], ['a`; DROP TABLE users; --'], ['a'.repeat(41)]])('tablePrefix %j is refused', (p) => {
    let caught: unknown;
    try {
      createMysqlStore(client, { tablePrefix: p });
    } catch (e) {
      caught = e;
    }
    expect(isMfaError(caught, 'INVALID_CONFIG')).toBe(true);
  });
  test('a bad database, a non-boolean or impossible preparedStatements and a client without query are refused', () => {
    expect(() => createMysqlStore(client, { database: 'a.b' })).toThrow(/database/);
    expect(() => createMysqlStore(client, { preparedStatements: 'yes' as never })).toThrow(/preparedStatements/);
    expect(() => createMysqlStore({ query: client.query }, { preparedStatements: true })).toThrow(/execute/);
    expect(() => createMysqlStore({} as never)).toThrow(/query/);
  });
  test('the store has the v2 manifest and its own methods', () => {
    const s = createMysqlStore(client);
    expect(s.supports).toEqual({ oneTime: true, devices: true, listing: true });
    expect(typeof s.migrate).toBe('function');
    expect(typeof s.purgeExpired).toBe('function');
  });
  test('every table and procedure name fits in 64 characters with the longest prefix', () => {
    const names = mysqlSchemaStatements({ tablePrefix: 'p'.repeat(40) }).flatMap((s) => [...s.matchAll(/(?:TABLE IF NOT EXISTS|PROCEDURE) `([^`]+)`/g)].map((m) => m[1] as string));
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((n) => n.length > 64)).toEqual([]);
  });
  test('the MySQL dialect drops and creates each procedure; the database option qualifies every name', () => {
    const ddl = mysqlSchemaStatements({ database: 'auth' }, 'mysql');
    expect(ddl.some((s) => s.startsWith('DROP PROCEDURE IF EXISTS `auth`.`mfakit_getUser_v2`'))).toBe(true);
    expect(ddl.some((s) => s.startsWith('CREATE OR REPLACE'))).toBe(false);
    expect(ddl.every((s) => !/`mfakit_[a-z]+_v2`/.test(s.replace(/`auth`\.`mfakit_[A-Za-z]+_v2`/g, '')))).toBe(true);
  });
  test('a call rolled back as a deadlock victim (1213) or a lost insert race (1062) is made again; other errors reject at once', async () => {
    const sent: string[] = [];
    const failing = (errnos: number[]) => ({
      query: async () => [[], []],
      execute: async (sql: string) => {
        sent.push(sql);
        const errno = errnos.shift();
        if (errno !== undefined) throw Object.assign(new Error(`error ${errno}`), { errno });
        return [[[{ ok: 1 }], { affectedRows: 0 }], []];
      },
    });
    expect(await createMysqlStore(failing([1213, 1062])).deleteCode!('u', 'a'.repeat(64))).toBe(true);
    expect(sent).toEqual(Array.from({ length: 3 }, () => 'CALL `mfakit_deleteCode_v2`(?, ?)'));
    sent.length = 0;
    await expect(createMysqlStore(failing([1205])).deleteCode!('u', 'a'.repeat(64))).rejects.toMatchObject({ errno: 1205 });
    expect(sent).toHaveLength(1);
    sent.length = 0;
    await expect(createMysqlStore(failing(Array.from({ length: 20 }, () => 1213))).deleteCode!('u', 'a'.repeat(64))).rejects.toMatchObject({ errno: 1213 });
    expect(sent).toHaveLength(8);
  });
  test('the build ships mysqlSchemaSql() with the defaults as dist/mysql-schema.sql', () => {
    expect(readFileSync(new URL('../../dist/mysql-schema.sql', import.meta.url), 'utf8')).toBe(mysqlSchemaSql());
  });
});
