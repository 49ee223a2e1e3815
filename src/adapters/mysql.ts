import { defineStore } from '../store/define.js';
import type { StoreImplementation } from '../store/types.js';
import { assertClient, fnv1a, isTrue, purgeExpiredWith, readNames, readPrepared, sharedMethods, tablesOf, text, toCode, toFactor, toReservation, type Row, type SqlStore, type SqlTables } from './sql.js';

/**
 * What the adapter needs from a database client: the promise API of `mysql2`
 * (`mysql2/promise`, or `pool.promise()`), whose `query(sql, values)` and
 * `execute(sql, values)` resolve to `[results, fields]`. A `Pool`, a
 * `PoolConnection` or a `Connection` fits; mfakit never imports a driver.
 * `execute` is used only with `preparedStatements` (the default when the
 * client has it); `migrate()` always uses `query`.
 */
export interface MysqlClient {
  query(sql: string, values?: MysqlValue[]): Promise<unknown>;
  execute?(sql: string, values?: MysqlValue[]): Promise<unknown>;
}

/** What the adapter binds: text, safe integers and NULL. */
export type MysqlValue = string | number | null;

/** Options of {@link createMysqlStore}. */
export interface MysqlStoreOptions {
  /**
   * Prepended to every table and procedure name. Letters, digits and `_`,
   * starting with a letter or `_`, at most 40 characters.
   * @default 'mfakit_'
   */
  tablePrefix?: string;
  /**
   * Database (schema) that holds the tables and procedures (it must exist);
   * the connection's current database when omitted. Same characters as `tablePrefix`.
   * @default undefined
   */
  database?: string;
  /**
   * Send every call with `execute` (a server-side prepared statement, which
   * `mysql2` prepares once per connection and binds without escaping) rather
   * than `query` (values escaped into the text by the driver, which is wrong
   * when the server's `sql_mode` has `NO_BACKSLASH_ESCAPES`). Turn it off for
   * a client or proxy without prepared statements.
   * @default true when the client has `execute`, else false
   */
  preparedStatements?: boolean;
}

/** An {@link MfaStore} over MySQL or MariaDB, with the migration that creates its tables and procedures. */
export interface MysqlStore extends SqlStore {
  /**
   * Creates the tables if they do not exist, and the stored procedures that
   * are missing or differ from this version's (each carries a digest of its
   * text in its comment, so an unchanged procedure is left alone). Safe to
   * run on every start and from several processes at once.
   *
   * @returns when the tables and procedures exist
   * @throws whatever the client rejects with (connection errors; a user
   *   without the `CREATE`, `CREATE ROUTINE` or `ALTER ROUTINE` privilege)
   * @example
   * await createMysqlStore(pool).migrate();
   */
  migrate(): Promise<void>;
}

/** Errors after which the procedure's transaction was rolled back as a whole, so calling it again is safe. */
const RETRIED = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB chose this transaction as a deadlock's victim
  1062, // ER_DUP_ENTRY: a concurrent call inserted the row this one was about to insert
]);
const MAX_RETRIES = 8;

/**
 * The statements that create mfakit's tables and procedures, one string
 * each, as `store.migrate()` runs them through a driver (no `DELIMITER`).
 *
 * @param opts - `tablePrefix` and `database`, as for {@link createMysqlStore}
 * @param dialect - `'mariadb'` (`CREATE OR REPLACE PROCEDURE`, the default) or
 *   `'mysql'` (a `DROP PROCEDURE IF EXISTS` before each `CREATE PROCEDURE`)
 * @returns idempotent DDL statements
 * @throws {MfaError} `INVALID_CONFIG` when the prefix or database is not a plain identifier
 * @example
 * import { mysqlSchemaStatements } from 'mfakit/mysql';
 * for (const ddl of mysqlSchemaStatements({ tablePrefix: 'auth_mfa_' })) await pool.query(ddl);
 */
export function mysqlSchemaStatements(opts: Pick<MysqlStoreOptions, 'tablePrefix' | 'database'> = {}, dialect: 'mariadb' | 'mysql' = 'mariadb'): string[] {
  const t = tableNames(opts);
  return [...tableStatements(t), ...procedures(t).flatMap((p) => createProcedure(p, dialect))];
}

/**
 * The same DDL as one script for the `mariadb`/`mysql` command-line client
 * (procedures between `DELIMITER $$` lines), for hosts that run their own
 * migrations. The text with the defaults ships as `mfakit/dist/mysql-schema.sql`.
 *
 * The tables end in `_v2`, like the Postgres adapter's. Ids, digests and
 * every stored text are `VARBINARY`: compared byte for byte, so user ids that
 * differ in case, accents or trailing spaces never collide, and the user ids
 * are ordered by code point. Times are `BIGINT` milliseconds since the
 * epoch. The sealed secret is ciphertext and codes are digests: no secret is
 * stored in plaintext.
 *
 * @param opts - `tablePrefix` and `database`, as for {@link createMysqlStore}
 * @param dialect - `'mariadb'` (default) or `'mysql'`, as for {@link mysqlSchemaStatements}
 * @returns the script
 * @throws {MfaError} `INVALID_CONFIG` when the prefix or database is not a plain identifier
 * @example
 * import { writeFileSync } from 'node:fs';
 * import { mysqlSchemaSql } from 'mfakit/mysql';
 * writeFileSync('migrations/20260101_mfakit.sql', mysqlSchemaSql({ tablePrefix: 'auth_mfa_' }));
 */
export function mysqlSchemaSql(opts: Pick<MysqlStoreOptions, 'tablePrefix' | 'database'> = {}, dialect: 'mariadb' | 'mysql' = 'mariadb'): string {
  const t = tableNames(opts);
  const tables = tableStatements(t).map((s) => `${s};\n`);
  const procs = procedures(t).flatMap((p) => createProcedure(p, dialect)).map((s) => `${s}$$\n`);
  return `${tables.join('\n')}\nDELIMITER $$\n\n${procs.join('\n')}\nDELIMITER ;\n`;
}

/**
 * Creates an {@link MfaStore} over MariaDB 10.6+ (tested on 10.11) or MySQL 8
 * (untested; docs/store-adapters.md says what differs). Every method is ONE call of a stored
 * procedure that `store.migrate()` creates, so it costs one round trip and
 * runs on a pool without checking out a connection; a procedure that writes
 * more than one statement runs them in one transaction at READ COMMITTED,
 * which it sets itself, and takes every decision on rows it holds locked
 * (`SELECT … FOR UPDATE`, an `UPDATE`'s target), never on a plain read of a
 * row it then writes. A sign-in with a right TOTP code is two calls
 * (`beginAttempt`, `advanceCounter`), a wrong one a single call.
 *
 * The client must be in autocommit mode with no transaction open (a pool's
 * connections are). Errors of the client reject the promise unchanged; the
 * flows of `createMfa` turn them into `MfaError('STORE_UNAVAILABLE')`, with a
 * "run store.migrate()" hint for a missing table or procedure. A call that
 * InnoDB rolled back as a deadlock's victim is made again (up to 8 times).
 *
 * @param client - a `mysql2/promise` Pool, PoolConnection or Connection, or anything with `query(sql, values)` → `[results, fields]`
 * @param opts - `tablePrefix` (default `'mfakit_'`), `database`, `preparedStatements` (default: whether the client has `execute`)
 * @returns the store (`supports: { oneTime: true, devices: true, listing: true }`), with `migrate()` and `purgeExpired(now)`
 * @throws {MfaError} `INVALID_CONFIG` when `client` has no `query` method, an
 *   option is not a plain identifier or boolean, or `preparedStatements: true` is given a client without `execute`
 * @example
 * import mysql from 'mysql2/promise';
 * import { createMfa } from 'mfakit';
 * import { createMysqlStore } from 'mfakit/mysql';
 * const pool = mysql.createPool({ uri: process.env.DATABASE_URL, charset: 'utf8mb4' });
 * const store = createMysqlStore(pool);
 * await store.migrate();
 * const mfa = createMfa({ store, issuer: 'ACME', secretKeys, pepper });
 */
export function createMysqlStore(client: MysqlClient, opts: MysqlStoreOptions = {}): MysqlStore {
  assertClient('createMysqlStore', client, 'query(sql, values) method (a mysql2/promise Pool or Connection)');
  const t = tableNames(opts);
  const prepared = readPrepared(opts.preparedStatements, typeof client.execute === 'function', 'preparedStatements: true needs a client with an execute(sql, values) method');
  const sets = caller(client, prepared, t);
  /** The rows of the call's last result set (none when the procedure sent none). */
  const call = async (method: ProcedureName, values: MysqlValue[]): Promise<Row[]> => (await sets(method, values)).at(-1) ?? [];

  const migrate = async (): Promise<void> => {
    for (const ddl of tableStatements(t)) await client.query(ddl);
    const dialect = /mariadb/i.test(String(firstRow(await client.query('SELECT VERSION() AS v'))?.v)) ? 'mariadb' : 'mysql';
    const schema = t.database === undefined ? 'DATABASE()' : `'${t.database}'`;
    const have = new Map<string, string>();
    const existing = await client.query(`SELECT ROUTINE_NAME AS name, ROUTINE_COMMENT AS comment FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${schema} AND ROUTINE_TYPE = 'PROCEDURE'`);
    for (const row of rowsOf(existing)) have.set(text(row.name).toLowerCase(), text(row.comment));
    for (const p of procedures(t)) {
      if (have.get(p.name.toLowerCase()) === p.comment) continue;
      for (const ddl of createProcedure(p, dialect)) {
        // MySQL (DROP, then CREATE): a concurrent migration created it in between, from the same text.
        await client.query(ddl).catch((err: unknown) => {
          if (Number((err as { errno?: unknown } | null)?.errno) !== 1304) throw err;
        });
      }
    }
  };
  return defineStore(implementation(sets, call), { migrate, purgeExpired: purgeExpiredWith(call) }) as MysqlStore;
}

/** Calls the procedure of `method` with `values`: every result set it sent, in order. */
type Call = (method: ProcedureName, values: MysqlValue[]) => Promise<Row[][]>;

/**
 * The adapter's atomic steps: each is one `CALL` and one round trip, through
 * `sets` (every result set) or `call` (the last one).
 */
function implementation(sets: Call, call: (method: ProcedureName, values: MysqlValue[]) => Promise<Row[]>): StoreImplementation {
  return {
    // A procedure that answers "did it" sends `ok`, 1 or 0.
    ...sharedMethods(call, flag),

    async putPendingFactor(f, { now, maxFactors, replace }) {
      const [row] = await call('putPendingFactor', [f.userId, f.id, f.kind, f.label, f.secret, f.counter, f.createdAt, f.expiresAt, f.lastUsedAt, f.meta, now, maxFactors, replace ? 1 : 0]);
      return row === undefined ? { ok: false, reason: 'limit' } : { ok: true, factor: toFactor(row) };
    },

    async activateFactor(userId, factorId, { counter, now, meta, recovery }) {
      const [row] = await call('activateFactor', [userId, factorId, counter, now, meta, recovery.digests.join(','), recovery.sealed]);
      return row === undefined ? null : { recoveryCodes: Number(row.n), recoveryCodesIssued: isTrue(row.issued) };
    },

    async deleteUser(userId) {
      return flag(await call('deleteUser', [userId]));
    },

    async beginAttempt(userId, state, now, schedule) {
      // Two result sets: the factors, then (when there is one) the reservation.
      const [loaded, reservation] = await sets('beginAttempt', [userId, state, now, JSON.stringify(schedule.locks), schedule.suspendAfter]);
      const factors = (loaded ?? []).map(toFactor);
      const reserved = reservation?.[0];
      return { factors, reservation: factors.length === 0 || reserved === undefined ? null : toReservation(reserved, schedule) };
    },

    async refundAttempt(userId, schedule) {
      await call('refundAttempt', [userId, JSON.stringify(schedule.locks)]);
    },

    async replaceRecoveryCodes(userId, { digests, sealed }) {
      return flag(await call('replaceRecoveryCodes', [userId, digests.join(','), sealed]));
    },

    async getRecoveryCodes(userId) {
      const [row] = await call('getRecoveryCodes', [userId]);
      const digests = row === undefined ? '' : text(row.digests);
      return { digests: digests === '' ? [] : digests.split(','), sealed: row?.sealed === null || row?.sealed === undefined ? null : text(row.sealed) };
    },

    async beginCodeAttempt(userId, id, now, schedule) {
      const [row] = await call('beginCodeAttempt', [userId, id, now, JSON.stringify(schedule.locks), schedule.suspendAfter]);
      return row === undefined ? { code: null, reservation: null } : { code: toCode(row), reservation: toReservation(row, schedule) };
    },

    async acceptCode(userId, id, schedule) {
      return flag(await call('acceptCode', [userId, id, JSON.stringify(schedule.locks)]));
    },
  };
}

/**
 * One round trip per call: `CALL proc(?, …)`, answering every result set the
 * procedure sent. A call that InnoDB rolled back whole (a deadlock's victim,
 * or the loser of a race to insert one row) is made again; the procedure's
 * own handler has rolled its transaction back, so nothing of the failed
 * attempt remains.
 */
function caller(client: MysqlClient, prepared: boolean, t: Tables): Call {
  const sql = new Map<ProcedureName, string>();
  for (const p of procedures(t)) sql.set(p.method, `CALL ${p.qualified}(${p.params.map(() => '?').join(', ')})`);
  const send = prepared ? (client.execute as NonNullable<MysqlClient['execute']>).bind(client) : client.query.bind(client);
  return async (method, values) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return resultSets(await send(sql.get(method) as string, values));
      } catch (err) {
        if (attempt >= MAX_RETRIES || !RETRIED.has(Number((err as { errno?: unknown } | null)?.errno))) throw err;
      }
    }
  };
}

/** `mysql2` answers a `CALL` with `[[set1, set2, …, okPacket], fields]`: the sets, without the final OK packet. */
function resultSets(answer: unknown): Row[][] {
  const results = Array.isArray(answer) ? (answer[0] as unknown) : undefined;
  if (!Array.isArray(results)) return [];
  return results.filter((r): r is Row[] => Array.isArray(r));
}

function rowsOf(answer: unknown): Row[] {
  const rows = Array.isArray(answer) ? (answer[0] as unknown) : undefined;
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

function firstRow(answer: unknown): Row | undefined {
  return rowsOf(answer)[0];
}

function flag(rows: Row[]): boolean {
  return isTrue(rows[0]?.ok);
}

/** The quoted, qualified table names, and what procedure names are made of. */
interface Tables extends SqlTables {
  database: string | undefined;
  prefix: string;
}

function tableNames(opts: MysqlStoreOptions): Tables {
  const { prefix, container: database } = readNames('createMysqlStore', opts, 'database');
  return { database, prefix, ...tablesOf(prefix, (name) => qualify(database, name)) };
}

function qualify(database: string | undefined, name: string): string {
  return database === undefined ? `\`${name}\`` : `\`${database}\`.\`${name}\``;
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

function tableStatements(t: Tables): string[] {
  return [
    // Labels and meta are UTF-8 bytes: 64 and 1024 UTF-16 units take at most 192 and 3072.
    `CREATE TABLE IF NOT EXISTS ${t.factors} (
  user_id VARBINARY(255) NOT NULL,
  id VARBINARY(64) NOT NULL,
  kind VARBINARY(32) NOT NULL,
  label VARBINARY(256) NOT NULL,
  state VARBINARY(7) NOT NULL CHECK (state IN ('pending', 'active')),
  secret VARBINARY(4096) NOT NULL,
  counter BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NULL,
  last_used_at BIGINT NULL,
  meta VARBINARY(4096) NOT NULL,
  PRIMARY KEY (user_id, id),
  KEY enrolled (state, user_id)
) ${TABLE_OPTIONS}`,
    // Kept with failures 0 after a success, so a sign-in does not insert and delete it each time.
    `CREATE TABLE IF NOT EXISTS ${t.attempts} (
  user_id VARBINARY(255) NOT NULL PRIMARY KEY,
  failures INT NOT NULL,
  locked_until BIGINT NULL
) ${TABLE_OPTIONS}`,
    // One row per user from the first factor on: the recovery-code digests
    // (comma-separated), the sealed copy of the set, and the row every
    // structural change locks first.
    `CREATE TABLE IF NOT EXISTS ${t.recovery} (
  user_id VARBINARY(255) NOT NULL PRIMARY KEY,
  digests VARBINARY(6500) NOT NULL,
  sealed VARBINARY(4096) NULL
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${t.codes} (
  user_id VARBINARY(255) NOT NULL,
  id VARBINARY(64) NOT NULL,
  digest VARBINARY(64) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts_left INT NOT NULL,
  PRIMARY KEY (user_id, id)
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${t.challenges} (
  id VARBINARY(64) NOT NULL PRIMARY KEY,
  user_id VARBINARY(255) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts_left INT NOT NULL,
  KEY expires (expires_at)
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ${t.devices} (
  user_id VARBINARY(255) NOT NULL,
  id VARBINARY(64) NOT NULL,
  label VARBINARY(256) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NULL,
  PRIMARY KEY (user_id, id)
) ${TABLE_OPTIONS}`,
  ];
}

type ProcedureName = keyof ReturnType<typeof bodies>;

interface Procedure {
  method: ProcedureName;
  /** The procedure's name without the database. */
  name: string;
  qualified: string;
  params: string[];
  body: string;
  /** `mfakit <digest of the text>`: what migrate() compares to tell a changed procedure. */
  comment: string;
}

function procedures(t: Tables): Procedure[] {
  return Object.entries(bodies(t)).map(([method, [params, body]]) => {
    const name = `${t.prefix}${method}_v2`;
    return { method: method as ProcedureName, name, qualified: qualify(t.database, name), params, body, comment: `mfakit ${fnv1a(params.join(',') + body)}` };
  });
}

/**
 * `SQL SECURITY INVOKER`: a procedure runs with the caller's privileges on
 * the tables, so it does not depend on the user who ran the migration.
 */
function createProcedure(p: Procedure, dialect: 'mariadb' | 'mysql'): string[] {
  const head = `PROCEDURE ${p.qualified}(${p.params.map((x) => `IN ${x}`).join(', ')})\nSQL SECURITY INVOKER MODIFIES SQL DATA COMMENT '${p.comment}'\n${p.body}`;
  return dialect === 'mariadb' ? [`CREATE OR REPLACE ${head}`] : [`DROP PROCEDURE IF EXISTS ${p.qualified}`, `CREATE ${head}`];
}

/**
 * A procedure body that writes in one transaction at READ COMMITTED: any
 * error rolls the whole transaction back before it reaches the caller, so a
 * pooled connection is never handed back with a transaction open.
 */
function transaction(declarations: string, statements: string): string {
  return `BEGIN
${declarations}  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
  START TRANSACTION;
${statements}
  COMMIT;
END`;
}

/** `locks[min(n, length - 1)]` of the schedule, a JSON array in `p_locks`. */
function lockAt(n: string): string {
  return `CAST(JSON_EXTRACT(p_locks, CONCAT('$[', LEAST(${n}, JSON_LENGTH(p_locks) - 1), ']')) AS SIGNED)`;
}

/** How many digests a comma-separated list holds. */
function countDigests(list: string): string {
  return `IF(${list} = '', 0, LENGTH(${list}) - LENGTH(REPLACE(${list}, ',', '')) + 1)`;
}

/** The decisive writes clear the failures; a row already clear is left unwritten. */
function clearFailures(t: Tables): string {
  return `UPDATE ${t.attempts} SET failures = 0, locked_until = NULL WHERE user_id = p_user AND (failures <> 0 OR locked_until IS NOT NULL);`;
}

/**
 * Gives one reservation back. MySQL assigns an UPDATE's columns left to right,
 * each seeing the ones before: `locked_until` is set first, on the old failures.
 */
function refund(t: Tables): string {
  return `UPDATE ${t.attempts} SET locked_until = IF(${lockAt('failures - 1')} = 0, NULL, locked_until), failures = failures - 1
    WHERE user_id = p_user AND failures > 0;`;
}

const RESERVE_DECLARATIONS = `  DECLARE v_failures INT;
  DECLARE v_locked BIGINT;
  DECLARE v_allowed BOOLEAN;
  DECLARE v_lock BIGINT;
`;

/**
 * The reservation of `AttemptReservation` on the attempts row of `p_user`,
 * locked (inserted at 0 when missing): `p_now`, `p_locks`, `p_suspend`.
 * Leaves `v_failures`, `v_locked`, `v_allowed` for the answer.
 */
function reserve(t: Tables): string {
  return `INSERT INTO ${t.attempts} (user_id, failures, locked_until) VALUES (p_user, 0, NULL) ON DUPLICATE KEY UPDATE failures = failures;
    SELECT failures, locked_until INTO v_failures, v_locked FROM ${t.attempts} WHERE user_id = p_user FOR UPDATE;
    SET v_allowed = v_failures < p_suspend AND (v_locked IS NULL OR v_locked <= p_now);
    IF v_allowed THEN
      SET v_failures = v_failures + 1;
      SET v_lock = ${lockAt('v_failures')};
      IF v_lock > 0 THEN SET v_locked = p_now + v_lock; END IF;
      UPDATE ${t.attempts} SET failures = v_failures, locked_until = v_locked WHERE user_id = p_user;
    END IF;`;
}

const RESERVATION_COLUMNS = 'v_failures AS r_failures, v_locked AS r_locked_until, v_allowed AS r_allowed';

const FACTOR_COLUMNS = 'user_id, id, kind, label, state, secret, counter, created_at, expires_at, last_used_at, meta';
const USER = 'p_user VARBINARY(255)';
const FACTOR = 'p_factor VARBINARY(64)';
const DIGEST = (name: string): string => `${name} VARBINARY(64)`;
const TIME = (name: string): string => `${name} BIGINT`;
const LOCKS = 'p_locks TEXT';
const DIGESTS = 'p_digests VARBINARY(6500)';
const SEALED = 'p_sealed VARBINARY(4096)';
const META = 'p_meta VARBINARY(4096)';

/**
 * Every procedure, by method: its parameters and body. How they stay correct:
 *
 * - Each procedure that writes more than one statement is one transaction at
 *   READ COMMITTED (see {@link transaction}): every plain read sees the rows
 *   committed when it runs, and every decision is taken on rows the
 *   transaction holds locked. An `UPDATE` that meets a row another
 *   transaction is changing waits for it and re-checks its `WHERE` on the
 *   newest version, so a conditional `UPDATE` is a compare-and-set.
 * - A user's recovery row, written with the first factor and deleted with the
 *   user, is the lock that orders structural changes of the user
 *   (`putPendingFactor`, `activateFactor`, `removeFactor`, `deleteUser`,
 *   `replaceRecoveryCodes`, `consumeRecoveryCode`): READ COMMITTED takes no
 *   gap locks, so locking a user's factor rows could not stop a concurrent
 *   insert, but one row that every such call locks first does.
 * - Rows are locked in one order — the recovery row, the user's factor rows,
 *   codes, devices, and last the attempts row — so two calls can wait for each
 *   other but not deadlock, save for InnoDB's own corner cases, which the
 *   adapter retries.
 * - `ROW_COUNT()` is read only after an `INSERT` or `DELETE`, or an `UPDATE`
 *   that always changes the row: for an `UPDATE` that writes an equal value it
 *   depends on the client's `CLIENT_FOUND_ROWS` flag.
 */
function bodies(t: Tables) {
  // The user's lock row (see above), locked first by every structural change.
  const lockUser = `SELECT COUNT(*) INTO v_lock_row FROM ${t.recovery} WHERE user_id = p_user FOR UPDATE;`;
  const deleteRest = `DELETE FROM ${t.recovery} WHERE user_id = p_user;
    DELETE FROM ${t.codes} WHERE user_id = p_user;
    DELETE FROM ${t.devices} WHERE user_id = p_user;
    DELETE FROM ${t.attempts} WHERE user_id = p_user;`;
  const codeCols = 'user_id, id, digest, created_at, expires_at, attempts_left';
  const challengeCols = 'id, user_id, created_at, expires_at, attempts_left';
  const deviceCols = 'user_id, id, label, created_at, expires_at, last_seen_at';
  return {
    // One consistent read (a single statement).
    getUser: [[USER], `BEGIN
  SELECT a.failures AS a_failures, a.locked_until AS a_locked_until,
    (SELECT ${countDigests('r.digests')} FROM ${t.recovery} r WHERE r.user_id = p_user) AS a_codes,
    f.user_id, f.id, f.kind, f.label, f.state, f.secret, f.counter, f.created_at, f.expires_at, f.last_used_at, f.meta
  FROM (SELECT 1 AS one) AS one
  LEFT JOIN ${t.attempts} a ON a.user_id = p_user
  LEFT JOIN ${t.factors} f ON f.user_id = p_user
  ORDER BY f.created_at, f.id;
END`],

    // The user's lock row is created (or locked) first, so concurrent
    // enrolments of one user run one after the other: the second sees the
    // first's factor, by label and in the count of live factors.
    putPendingFactor: [[USER, FACTOR, 'p_kind VARBINARY(32)', 'p_label VARBINARY(256)', 'p_secret VARBINARY(4096)', 'p_counter BIGINT', TIME('p_created'), TIME('p_expires'), TIME('p_last_used'), META, TIME('p_now'), 'p_max INT', 'p_replace BOOLEAN'], transaction(
      `  DECLARE v_lock_row INT;
  DECLARE v_same VARBINARY(64);
  DECLARE v_live INT;
`,
      `    INSERT INTO ${t.recovery} (user_id, digests) VALUES (p_user, '') ON DUPLICATE KEY UPDATE user_id = user_id;
    ${lockUser}
    DELETE FROM ${t.factors} WHERE user_id = p_user AND state = 'pending' AND (expires_at <= p_now OR (label = p_label AND p_replace));
    SELECT id INTO v_same FROM ${t.factors} WHERE user_id = p_user AND state = 'pending' AND label = p_label ORDER BY created_at, id LIMIT 1;
    IF v_same IS NULL THEN
      SELECT COUNT(*) INTO v_live FROM ${t.factors} WHERE user_id = p_user;
      IF v_live < p_max THEN
        INSERT INTO ${t.factors} (${FACTOR_COLUMNS})
        VALUES (p_user, p_factor, p_kind, p_label, 'pending', p_secret, p_counter, p_created, p_expires, p_last_used, p_meta);
        SET v_same = p_factor;
      END IF;
    END IF;
    IF v_same IS NOT NULL THEN
      SELECT ${FACTOR_COLUMNS} FROM ${t.factors} WHERE user_id = p_user AND id = v_same;
    END IF;`,
    )],

    // Under the user's lock row, so of concurrent activations of two factors
    // exactly one finds no other active factor and issues the codes.
    activateFactor: [[USER, FACTOR, 'p_counter BIGINT', TIME('p_now'), META, DIGESTS, SEALED], transaction(
      `  DECLARE v_lock_row INT;
  DECLARE v_others INT;
  DECLARE v_codes VARBINARY(6500);
`,
      `    ${lockUser}
    UPDATE ${t.factors} SET state = 'active', counter = p_counter, expires_at = NULL, last_used_at = p_now, meta = p_meta
      WHERE user_id = p_user AND id = p_factor AND state = 'pending' AND expires_at > p_now;
    IF ROW_COUNT() > 0 THEN
      SELECT COUNT(*) INTO v_others FROM ${t.factors} WHERE user_id = p_user AND id <> p_factor AND state = 'active';
      IF v_others = 0 THEN UPDATE ${t.recovery} SET digests = p_digests, sealed = p_sealed WHERE user_id = p_user; END IF;
      SELECT digests INTO v_codes FROM ${t.recovery} WHERE user_id = p_user;
      ${clearFailures(t)}
      SELECT v_others = 0 AS issued, ${countDigests('v_codes')} AS n;
    END IF;`,
    )],

    // The conditional UPDATE is the accept: a concurrent caller with the same
    // counter waits for the row lock, re-checks `counter < p_counter` on the
    // new row and matches nothing.
    advanceCounter: [[USER, FACTOR, 'p_counter BIGINT', TIME('p_now')], transaction(
      '',
      `    UPDATE ${t.factors} SET counter = p_counter, last_used_at = p_now
      WHERE user_id = p_user AND id = p_factor AND state = 'active' AND counter < p_counter;
    IF ROW_COUNT() > 0 THEN
      ${clearFailures(t)}
      SELECT COALESCE((SELECT ${countDigests('digests')} FROM ${t.recovery} WHERE user_id = p_user), 0) AS n;
    END IF;`,
    )],

    renameFactor: [[USER, FACTOR, 'p_label VARBINARY(256)'], transaction(
      '  DECLARE v_found INT;\n',
      `    SELECT COUNT(*) INTO v_found FROM ${t.factors} WHERE user_id = p_user AND id = p_factor FOR UPDATE;
    UPDATE ${t.factors} SET label = p_label WHERE user_id = p_user AND id = p_factor;
    SELECT v_found > 0 AS ok;`,
    )],

    resealFactor: [[USER, FACTOR, 'p_expected VARBINARY(4096)', 'p_sealed VARBINARY(4096)'], transaction(
      '  DECLARE v_found INT;\n',
      `    SELECT COUNT(*) INTO v_found FROM ${t.factors} WHERE user_id = p_user AND id = p_factor AND secret = p_expected FOR UPDATE;
    IF v_found > 0 THEN UPDATE ${t.factors} SET secret = p_sealed WHERE user_id = p_user AND id = p_factor; END IF;
    SELECT v_found > 0 AS ok;`,
    )],

    // Whether an active factor is left is read under the user's lock row, so
    // a concurrent activation either went first (and is seen) or waits and
    // then finds its factor gone.
    removeFactor: [[USER, FACTOR], transaction(
      `  DECLARE v_lock_row INT;
  DECLARE v_removed INT;
  DECLARE v_active INT DEFAULT 1;
`,
      `    ${lockUser}
    DELETE FROM ${t.factors} WHERE user_id = p_user AND id = p_factor;
    SET v_removed = ROW_COUNT();
    IF v_removed > 0 THEN
      SELECT COUNT(*) INTO v_active FROM ${t.factors} WHERE user_id = p_user AND state = 'active';
      IF v_active = 0 THEN
        DELETE FROM ${t.factors} WHERE user_id = p_user;
        ${deleteRest}
      END IF;
    END IF;
    SELECT v_removed > 0 AS removed, v_removed > 0 AND v_active = 0 AS disabled;`,
    )],

    deleteUser: [[USER], transaction(
      `  DECLARE v_lock_row INT;
  DECLARE v_factors INT;
`,
      `    ${lockUser}
    DELETE FROM ${t.factors} WHERE user_id = p_user;
    SET v_factors = ROW_COUNT();
    ${deleteRest}
    SELECT v_factors > 0 AS ok;`,
    )],

    // Two result sets: the factors, then the reservation, only when there is
    // a factor, so an unknown or unenrolled user writes nothing.
    beginAttempt: [[USER, 'p_state VARBINARY(7)', TIME('p_now'), LOCKS, 'p_suspend INT'], transaction(
      RESERVE_DECLARATIONS,
      `    SELECT ${FACTOR_COLUMNS} FROM ${t.factors}
      WHERE user_id = p_user AND state = p_state AND (p_state = 'active' OR expires_at > p_now)
      ORDER BY created_at, id;
    IF FOUND_ROWS() > 0 THEN
      ${reserve(t)}
      SELECT ${RESERVATION_COLUMNS};
    END IF;`,
    )],

    // A single statement: atomic on its own.
    refundAttempt: [[USER, LOCKS], `BEGIN
  ${refund(t)}
END`],

    // Under the user's lock row, which activations and removals take too:
    // concurrent replacements leave exactly one whole set, digests and copy.
    replaceRecoveryCodes: [[USER, DIGESTS, SEALED], transaction(
      `  DECLARE v_lock_row INT;
  DECLARE v_active INT;
`,
      `    ${lockUser}
    SELECT COUNT(*) INTO v_active FROM ${t.factors} WHERE user_id = p_user AND state = 'active';
    IF v_active > 0 THEN UPDATE ${t.recovery} SET digests = p_digests, sealed = p_sealed WHERE user_id = p_user; END IF;
    SELECT v_active > 0 AS ok;`,
    )],

    // One row, one consistent read. (A user with only pending factors has the
    // row with no digests and no copy: the same answer as none.)
    getRecoveryCodes: [[USER], `BEGIN
  SELECT digests, sealed FROM ${t.recovery} WHERE user_id = p_user;
END`],

    // The set is read on its locked row: a digest is removed, and accepted, once.
    consumeRecoveryCode: [[USER, DIGEST('p_digest')], transaction(
      '  DECLARE v_codes VARBINARY(6500);\n',
      `    SELECT digests INTO v_codes FROM ${t.recovery} WHERE user_id = p_user FOR UPDATE;
    IF FIND_IN_SET(p_digest, v_codes) > 0 THEN
      SET v_codes = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', v_codes, ','), CONCAT(',', p_digest, ','), ','));
      UPDATE ${t.recovery} SET digests = v_codes WHERE user_id = p_user;
      ${clearFailures(t)}
      SELECT ${countDigests('v_codes')} AS n;
    END IF;`,
    )],

    // The old row is locked first, so its creation time is the one the
    // cooldown is judged on. Two first puts of one id race to insert: the
    // loser's duplicate-key error rolls it back and the adapter calls again,
    // which then finds the row. The user's other expired codes go too.
    putCode: [[USER, DIGEST('p_id'), DIGEST('p_digest'), TIME('p_created'), TIME('p_expires'), 'p_attempts INT', TIME('p_cooldown')], transaction(
      `  DECLARE v_created BIGINT;
  DECLARE v_expires BIGINT;
`,
      `    SELECT created_at, expires_at INTO v_created, v_expires FROM ${t.codes} WHERE user_id = p_user AND id = p_id FOR UPDATE;
    IF v_created IS NOT NULL AND v_expires > p_created AND p_created - v_created < p_cooldown THEN
      SELECT 0 AS ok, v_created AS since;
    ELSE
      IF v_created IS NULL THEN
        INSERT INTO ${t.codes} (${codeCols}) VALUES (p_user, p_id, p_digest, p_created, p_expires, p_attempts);
      ELSE
        UPDATE ${t.codes} SET digest = p_digest, created_at = p_created, expires_at = p_expires, attempts_left = p_attempts
          WHERE user_id = p_user AND id = p_id;
      END IF;
      DELETE FROM ${t.codes} WHERE user_id = p_user AND id <> p_id AND expires_at <= p_created;
      SELECT 1 AS ok, p_created AS since;
    END IF;`,
    )],

    // The code row is locked first; an expired one is deleted, a live one is
    // reserved for and, when allowed, loses one try. An exhausted one stays
    // until it expires: the answer that took its last try may still be right.
    beginCodeAttempt: [[USER, DIGEST('p_id'), TIME('p_now'), LOCKS, 'p_suspend INT'], transaction(
      `${RESERVE_DECLARATIONS}  DECLARE v_digest VARBINARY(64);
  DECLARE v_created BIGINT;
  DECLARE v_expires BIGINT;
  DECLARE v_left INT;
`,
      `    SELECT digest, created_at, expires_at, attempts_left INTO v_digest, v_created, v_expires, v_left
      FROM ${t.codes} WHERE user_id = p_user AND id = p_id FOR UPDATE;
    IF v_created IS NOT NULL AND v_expires <= p_now THEN
      DELETE FROM ${t.codes} WHERE user_id = p_user AND id = p_id;
    ELSEIF v_created IS NOT NULL AND v_left > 0 THEN
      ${reserve(t)}
      IF v_allowed THEN
        UPDATE ${t.codes} SET attempts_left = attempts_left - 1 WHERE user_id = p_user AND id = p_id;
        SET v_left = v_left - 1;
      END IF;
      SELECT p_user AS user_id, p_id AS id, v_digest AS digest, v_created AS created_at, v_expires AS expires_at, v_left AS attempts_left, ${RESERVATION_COLUMNS};
    END IF;`,
    )],

    acceptCode: [[USER, DIGEST('p_id'), LOCKS], transaction(
      '  DECLARE v_deleted INT;\n',
      `    DELETE FROM ${t.codes} WHERE user_id = p_user AND id = p_id;
    SET v_deleted = ROW_COUNT();
    IF v_deleted > 0 THEN ${refund(t)} END IF;
    SELECT v_deleted > 0 AS ok;`,
    )],

    deleteCode: [[USER, DIGEST('p_id')], `BEGIN
  DELETE FROM ${t.codes} WHERE user_id = p_user AND id = p_id;
  SELECT ROW_COUNT() > 0 AS ok;
END`],

    // Also sweeps a few expired challenges, so abandoned ones do not pile up
    // between runs of purgeExpired. A collision of random ids is a replacement.
    putChallenge: [[DIGEST('p_id'), USER, TIME('p_created'), TIME('p_expires'), 'p_attempts INT'], transaction(
      '',
      `    DELETE FROM ${t.challenges} WHERE expires_at <= p_created AND id <> p_id ORDER BY expires_at LIMIT 8;
    INSERT INTO ${t.challenges} (${challengeCols}) VALUES (p_id, p_user, p_created, p_expires, p_attempts)
      ON DUPLICATE KEY UPDATE user_id = p_user, created_at = p_created, expires_at = p_expires, attempts_left = p_attempts;`,
    )],

    // Decided on the locked row. An exhausted challenge stays until it
    // expires, for its last try's answer to consume.
    spendChallenge: [[DIGEST('p_id'), TIME('p_now')], transaction(
      `  DECLARE v_user VARBINARY(255);
  DECLARE v_created BIGINT;
  DECLARE v_expires BIGINT;
  DECLARE v_left INT;
`,
      `    SELECT user_id, created_at, expires_at, attempts_left INTO v_user, v_created, v_expires, v_left
      FROM ${t.challenges} WHERE id = p_id FOR UPDATE;
    IF v_created IS NOT NULL AND v_expires <= p_now THEN
      DELETE FROM ${t.challenges} WHERE id = p_id;
    ELSEIF v_created IS NOT NULL AND v_left > 0 THEN
      UPDATE ${t.challenges} SET attempts_left = attempts_left - 1 WHERE id = p_id;
      SELECT p_id AS id, v_user AS user_id, v_created AS created_at, v_expires AS expires_at, v_left - 1 AS attempts_left;
    END IF;`,
    )],

    deleteChallenge: [[DIGEST('p_id')], `BEGIN
  DELETE FROM ${t.challenges} WHERE id = p_id;
  SELECT ROW_COUNT() > 0 AS ok;
END`],

    // The user's expired devices go too. A collision of random ids is a replacement.
    putDevice: [[USER, DIGEST('p_id'), 'p_label VARBINARY(256)', TIME('p_created'), TIME('p_expires'), TIME('p_last_seen')], transaction(
      '',
      `    DELETE FROM ${t.devices} WHERE user_id = p_user AND id <> p_id AND expires_at <= p_created;
    INSERT INTO ${t.devices} (${deviceCols}) VALUES (p_user, p_id, p_label, p_created, p_expires, p_last_seen)
      ON DUPLICATE KEY UPDATE label = p_label, created_at = p_created, expires_at = p_expires, last_seen_at = p_last_seen;`,
    )],

    // On the locked row: a touch racing a revocation either goes first or
    // finds the row gone, never bringing it back.
    touchDevice: [[USER, DIGEST('p_id'), TIME('p_now')], transaction(
      '  DECLARE v_expires BIGINT;\n',
      `    SELECT expires_at INTO v_expires FROM ${t.devices} WHERE user_id = p_user AND id = p_id FOR UPDATE;
    IF v_expires IS NOT NULL AND v_expires <= p_now THEN
      DELETE FROM ${t.devices} WHERE user_id = p_user AND id = p_id;
    ELSEIF v_expires IS NOT NULL THEN
      UPDATE ${t.devices} SET last_seen_at = p_now WHERE user_id = p_user AND id = p_id;
      SELECT ${deviceCols} FROM ${t.devices} WHERE user_id = p_user AND id = p_id;
    END IF;`,
    )],

    listDevices: [[USER, TIME('p_now')], `BEGIN
  SELECT ${deviceCols} FROM ${t.devices} WHERE user_id = p_user AND expires_at > p_now ORDER BY created_at, id;
END`],

    revokeDevice: [[USER, DIGEST('p_id')], `BEGIN
  DELETE FROM ${t.devices} WHERE user_id = p_user AND id = p_id;
  SELECT ROW_COUNT() > 0 AS ok;
END`],

    revokeAllDevices: [[USER], `BEGIN
  DELETE FROM ${t.devices} WHERE user_id = p_user;
  SELECT ROW_COUNT() AS n;
END`],

    // Keyset pagination on the user id, in binary order (VARBINARY), so pages
    // neither skip nor repeat a user. One statement: one consistent read.
    listEnrolled: [['p_cursor VARBINARY(255)', 'p_limit INT'], `BEGIN
  SELECT f.user_id, COUNT(*) AS n, GROUP_CONCAT(DISTINCT f.kind ORDER BY f.kind SEPARATOR ',') AS kinds, MAX(f.last_used_at) AS last_used_at,
    COALESCE((SELECT a.failures FROM ${t.attempts} a WHERE a.user_id = f.user_id), 0) AS failures
  FROM ${t.factors} f
  WHERE f.state = 'active' AND (p_cursor IS NULL OR f.user_id > p_cursor)
  GROUP BY f.user_id
  ORDER BY f.user_id
  LIMIT p_limit;
END`],

    countEnrolled: [[], `BEGIN
  SELECT COUNT(DISTINCT user_id) AS n FROM ${t.factors} WHERE state = 'active';
END`],

    purgeExpired: [[TIME('p_now')], `BEGIN
  DECLARE v_n BIGINT DEFAULT 0;
  DELETE FROM ${t.challenges} WHERE expires_at <= p_now;
  SET v_n = v_n + ROW_COUNT();
  DELETE FROM ${t.codes} WHERE expires_at <= p_now;
  SET v_n = v_n + ROW_COUNT();
  DELETE FROM ${t.factors} WHERE state = 'pending' AND expires_at <= p_now;
  SET v_n = v_n + ROW_COUNT();
  DELETE FROM ${t.devices} WHERE expires_at <= p_now;
  SET v_n = v_n + ROW_COUNT();
  SELECT v_n AS n;
END`],
  } satisfies Record<string, [string[], string]>;
}
