import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMysqlStore, mysqlSchemaSql, mysqlSchemaStatements, type MysqlStore } from '../../src/adapters/mysql.js';
import type { PostgresStore } from '../../src/adapters/postgres.js';
import { isMfaError } from '../../src/errors.js';
import { createMfa } from '../../src/flows/index.js';
import { mysqlSkipReason, mysqlUrl, uniquePrefix } from './helpers.js';
import { postgresStoreCases } from './postgres-cases.js';
import { conformanceRuns, countingClient, optionCases, pending, purgeExpiredCases, roundTripCases, SCHEDULE, T, TABLES } from './sql-cases.js';


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
  conformanceRuns({
    'prepared statements (execute)': () => store,
    'plain statements (query)': () => createMysqlStore(pool, { tablePrefix: prefix, preparedStatements: false }),
  }, () => mysqlRawDump(pool, prefix));
  // The Postgres suites' raced and differential cases use only MfaStore methods.
  describe('shared cases', () => postgresStoreCases(() => store as unknown as PostgresStore, { concurrent: true }));

  roundTripCases(() => {
    const client = countingClient(pool, ['query', 'execute']);
    return { store: createMysqlStore(client, { tablePrefix: prefix }), calls: () => client.calls };
  });
  purgeExpiredCases(() => store);

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
    const counted = countingClient(pool, ['query', 'execute']);
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
});

describe('createMysqlStore options', () => {
  const client = { query: async () => [[], []], execute: async () => [[], []] };
  optionCases((opts) => createMysqlStore(client, opts));
  test('a bad database, a non-boolean or impossible preparedStatements and a client without query are refused', () => {
    expect(() => createMysqlStore(client, { database: 'a.b' })).toThrow(/database/);
    expect(() => createMysqlStore(client, { preparedStatements: 'yes' as never })).toThrow(/preparedStatements/);
    expect(() => createMysqlStore({ query: client.query }, { preparedStatements: true })).toThrow(/execute/);
    expect(() => createMysqlStore({} as never)).toThrow(/query/);
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
