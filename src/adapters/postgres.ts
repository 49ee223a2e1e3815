import { defineStore } from '../store/define.js';
import type { StoreImplementation } from '../store/types.js';
import { assertClient, fnv1a, purgeExpiredWith, readNames, readPrepared, sharedMethods, tablesOf, toCode, toFactor, toReservation, type Row, type SqlStore, type SqlTables } from './sql.js';

/**
 * What the adapter needs from a database client: `query(text, values)`
 * resolving to an object with `rows`. A `pg` `Pool` or `Client` and a PGlite
 * instance all fit; mfakit never imports a driver. With prepared statements
 * on (the default for everything but PGlite), the client is also called as
 * `query({ name, text, values })`, as `pg` takes a named statement.
 */
export interface PostgresClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * Prepended to every table name. Letters, digits and `_`, starting with a
   * letter or `_`, at most 40 characters.
   * @default 'mfakit_'
   */
  tablePrefix?: string;
  /**
   * Schema that holds the tables (it must exist); unqualified names, and so
   * the connection's `search_path`, when omitted. Same characters as `tablePrefix`.
   * @default undefined
   */
  schema?: string;
  /**
   * Send every statement as a named prepared statement (`pg`'s
   * `{ name, text, values }`), so each connection plans it once. Turn it off
   * behind a pooler that cannot keep prepared statements across transactions
   * (PgBouncer in transaction mode before 1.21, with `max_prepared_statements`
   * unset) and for clients without named statements. PGlite has none: for a
   * PGlite instance the default is `false`, and `true` is refused.
   * @default true (false for PGlite)
   */
  preparedStatements?: boolean;
}

/** An {@link MfaStore} over PostgreSQL, with the migration that creates its tables. */
export interface PostgresStore extends SqlStore {
  /**
   * Creates the tables and indexes if they do not exist. Safe to run on every
   * start; best run from one process (a deploy step), as concurrent `CREATE
   * TABLE IF NOT EXISTS` may still collide in PostgreSQL (retried once).
   *
   * @returns when the tables exist
   * @throws whatever the client rejects with (connection or permission errors)
   * @example
   * await createPostgresStore(pool).migrate();
   */
  migrate(): Promise<void>;
}

/** Runs of putPendingFactor when concurrent enrolments keep taking the slot it chose; each run sees the rows before it. */
const MAX_SLOT_RETRIES = 20;

/**
 * The SQL that creates mfakit's tables, as `store.migrate()` runs it, for
 * hosts that run their own migrations. The same text (default prefix, no
 * schema) ships as `mfakit/dist/postgres-schema.sql`.
 *
 * The tables of the v2 store end in `_v2` (`mfakit_factors_v2`, …), so they
 * never collide with the tables of mfakit 0.1, which may be dropped once
 * nothing reads them. Times are `bigint` milliseconds since the epoch. The
 * sealed secret is ciphertext and codes are digests: no secret is stored in
 * plaintext.
 *
 * @param opts - `tablePrefix` and `schema`, as for {@link createPostgresStore}
 * @returns idempotent DDL statements separated by `;` and newlines
 * @throws {MfaError} `INVALID_CONFIG` when the prefix or schema is not a plain identifier
 * @example
 * import { postgresSchemaSql } from 'mfakit/postgres';
 * await pool.query(postgresSchemaSql({ tablePrefix: 'auth_mfa_' }));
 */
export function postgresSchemaSql(opts: Pick<PostgresStoreOptions, 'tablePrefix' | 'schema'> = {}): string {
  return schemaStatements(tableNames(opts)).join(';\n\n') + ';\n';
}

/**
 * Creates an {@link MfaStore} over PostgreSQL 12+ (or PGlite). Every method is
 * ONE SQL statement (data-modifying CTEs), so it is atomic on a pool without
 * checking out a client, and safe under the default READ COMMITTED isolation
 * when many app servers share the database: each decision is taken on rows
 * the statement has locked (an `UPDATE`'s target, a `FOR UPDATE` read, an
 * `INSERT … ON CONFLICT` arbiter), never on a plain read of a row that the
 * statement then writes. A sign-in with a right TOTP code is two statements
 * (`beginAttempt`, `advanceCounter`), a wrong one a single statement.
 *
 * Run `store.migrate()` once (or the SQL of {@link postgresSchemaSql}) before use.
 * Errors of the client reject the promise unchanged; the flows of `createMfa`
 * turn them into `MfaError('STORE_UNAVAILABLE')`. With a `pg` Pool, listen to
 * its `error` event, as `pg` asks, so a dropped idle connection does not
 * crash the process.
 *
 * @param client - a `pg` Pool or Client, a PGlite instance, or anything with `query(text, values)` → `{ rows }`
 * @param opts - `tablePrefix` (default `'mfakit_'`), `schema`, `preparedStatements` (default `true`, `false` for PGlite)
 * @returns the store (`supports: { oneTime: true, devices: true, listing: true }`), with `migrate()` and `purgeExpired(now)`
 * @throws {MfaError} `INVALID_CONFIG` when `client` has no `query` method, an
 *   option is not a plain identifier or boolean, or PGlite is given `preparedStatements: true`
 * @example
 * import pg from 'pg';
 * import { createMfa } from 'mfakit';
 * import { createPostgresStore } from 'mfakit/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', () => {}); // idle connections dropped by the server
 * const store = createPostgresStore(pool); // behind PgBouncer (transaction mode): { preparedStatements: false }
 * await store.migrate();
 * const mfa = createMfa({ store, issuer: 'ACME', secretKeys, pepper });
 */
export function createPostgresStore(client: PostgresClient, opts: PostgresStoreOptions = {}): PostgresStore {
  assertClient('createPostgresStore', client, 'query(text, values) method (pg Pool or Client, PGlite)');
  const t = tableNames(opts);
  const pglite = isPglite(client);
  const prepared = readPrepared(opts.preparedStatements, !pglite, 'PGlite has no named prepared statements: pass { preparedStatements: false } (or leave it unset) for a PGlite client');
  const rows = queryRunner(client, prepared, statements(t));
  const impl = implementation(rows, (err) => isUniqueViolation(err, t.slotIndexName));

  const migrate = async (): Promise<void> => {
    for (const ddl of schemaStatements(t)) {
      try {
        await client.query(ddl, []);
      } catch (err) {
        // Two processes creating the same table at once: one gets a duplicate
        // error from the catalog; the table exists now, so running again passes.
        if (!isDuplicateObject(err)) throw err;
        await client.query(ddl, []);
      }
    }
  };
  return defineStore(impl, { migrate, purgeExpired: purgeExpiredWith(rows) }) as PostgresStore;
}

type Statements = ReturnType<typeof statements>;
type Run = (key: keyof Statements, values: unknown[]) => Promise<Row[]>;

/** The adapter's atomic steps: each is one call of `run`, that is one statement and one round trip. */
function implementation(run: Run, isSlotConflict: (err: unknown) => boolean): StoreImplementation {
  return {
    // A statement that finds its row answers one: `RETURNING 1`.
    ...sharedMethods(run, (r) => r.length > 0),

    async putPendingFactor(f, { now, maxFactors, replace }) {
      const values = [f.userId, f.id, f.kind, f.label, f.secret, f.counter, f.createdAt, f.expiresAt, f.lastUsedAt, f.meta, now, maxFactors, replace];
      // A slot taken by a concurrent enrolment: the next run sees that row (see the statement).
      for (let attempt = 1; ; attempt++) {
        try {
          const [row] = await run('putPendingFactor', values);
          return row === undefined ? { ok: false, reason: 'limit' } : { ok: true, factor: toFactor(row) };
        } catch (err) {
          if (attempt >= MAX_SLOT_RETRIES || !isSlotConflict(err)) throw err;
        }
      }
    },

    async activateFactor(userId, factorId, { counter, now, meta, recovery }) {
      const [row] = await run('activateFactor', [userId, factorId, counter, now, recovery.digests, recovery.sealed, meta]);
      return row === undefined ? null : { recoveryCodes: Number(row.n), recoveryCodesIssued: row.issued === true };
    },

    async deleteUser(userId) {
      const [row] = await run('deleteUser', [userId]);
      return row?.existed === true;
    },

    async beginAttempt(userId, state, now, schedule) {
      const r = await run('beginAttempt', [userId, state, now, schedule.locks, schedule.suspendAfter]);
      return { factors: r.map(toFactor), reservation: r.length === 0 ? null : toReservation(r[0] as Row, schedule) };
    },

    async refundAttempt(userId, schedule) {
      await run('refundAttempt', [userId, schedule.locks]);
    },

    async replaceRecoveryCodes(userId, { digests, sealed }) {
      return (await run('replaceRecoveryCodes', [userId, digests, sealed])).length > 0;
    },

    async getRecoveryCodes(userId) {
      const [row] = await run('getRecoveryCodes', [userId]);
      return row === undefined ? { digests: [], sealed: null } : { digests: row.digests as string[], sealed: (row.sealed as string | null) ?? null };
    },

    async beginCodeAttempt(userId, id, now, schedule) {
      const [row] = await run('beginCodeAttempt', [userId, id, now, schedule.locks, schedule.suspendAfter]);
      if (row === undefined || row.live !== true) return { code: null, reservation: null };
      const taken = row.taken_left === null || row.taken_left === undefined ? {} : { attempts_left: row.taken_left };
      return { code: toCode({ ...row, ...taken }), reservation: toReservation(row, schedule) };
    },

    async acceptCode(userId, id, schedule) {
      return (await run('acceptCode', [userId, id, schedule.locks])).length > 0;
    },
  };
}

/**
 * One round trip per call. Named statements carry a digest of their text in
 * the name, so two stores with different tables on one pool never share a name.
 */
function queryRunner(client: PostgresClient, prepared: boolean, sql: Statements): Run {
  if (!prepared) return async (key, values) => (await client.query(sql[key], values)).rows as Row[];
  const named = client as unknown as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> };
  const names = new Map<string, string>();
  for (const key of Object.keys(sql) as (keyof Statements)[]) names.set(key, `mfakit_${key}_${fnv1a(sql[key])}`);
  return async (key, values) => (await named.query({ name: names.get(key) as string, text: sql[key], values })).rows as Row[];
}

/**
 * PGlite (PostgreSQL in WebAssembly) takes `query(text, values)` only, and a
 * query config object leaves the instance unusable; it is recognised by its
 * `waitReady` promise and `exec` method, which `pg` clients do not have.
 */
function isPglite(client: PostgresClient): boolean {
  const c = client as unknown as Record<string, unknown>;
  return typeof c.exec === 'function' && typeof (c.waitReady as Promise<unknown> | undefined)?.then === 'function';
}

interface Tables extends SqlTables {
  pendingLabelIndex: string;
  /** Active factors by user id in binary order: the listing's keyset pagination. */
  enrolledIndex: string;
  slotIndex: string;
  /** The slot index's name, as the driver reports it in a unique violation. */
  slotIndexName: string;
  challengesExpiresIndex: string;
}

function tableNames(opts: PostgresStoreOptions): Tables {
  const { prefix, container: schema } = readNames('createPostgresStore', opts, 'schema');
  const q = (name: string): string => (schema === undefined ? `"${name}"` : `"${schema}"."${name}"`);
  return {
    ...tablesOf(prefix, q),
    pendingLabelIndex: `"${prefix}factors_v2_label"`,
    enrolledIndex: `"${prefix}factors_v2_enrolled"`,
    slotIndex: `"${prefix}factors_v2_slot"`,
    slotIndexName: `${prefix}factors_v2_slot`,
    challengesExpiresIndex: `"${prefix}challenges_v2_exp"`,
  };
}

function schemaStatements(t: Tables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.factors} (
  user_id text NOT NULL,
  id text NOT NULL,
  kind text NOT NULL,
  label text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'active')),
  secret text NOT NULL,
  counter bigint NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  last_used_at bigint,
  meta text NOT NULL,
  slot smallint NOT NULL,
  PRIMARY KEY (user_id, id)
)`,
    // Each factor holds one of the user's slots 0 … maxFactors - 1: the index
    // enforces the limit even against concurrent enrolments that no snapshot shows.
    `CREATE UNIQUE INDEX IF NOT EXISTS ${t.slotIndex} ON ${t.factors} (user_id, slot)`,
    // One pending enrolment per label: two concurrent beginEnrollment calls
    // (a double click) meet at this index and get the same factor.
    `CREATE UNIQUE INDEX IF NOT EXISTS ${t.pendingLabelIndex} ON ${t.factors} (user_id, label) WHERE state = 'pending'`,
    // Kept with failures 0 after a success, so a sign-in does not insert and delete it each time.
    `CREATE TABLE IF NOT EXISTS ${t.attempts} (
  user_id text PRIMARY KEY,
  failures integer NOT NULL,
  locked_until bigint,
  last_allowed boolean NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS ${t.recovery} (
  user_id text PRIMARY KEY,
  digests text[] NOT NULL,
  sealed text
)`,
    `ALTER TABLE ${t.recovery} ADD COLUMN IF NOT EXISTS sealed text`,
    `CREATE TABLE IF NOT EXISTS ${t.codes} (
  user_id text NOT NULL,
  id text NOT NULL,
  digest text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  attempts_left integer NOT NULL,
  PRIMARY KEY (user_id, id)
)`,
    `CREATE TABLE IF NOT EXISTS ${t.challenges} (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  attempts_left integer NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${t.challengesExpiresIndex} ON ${t.challenges} (expires_at)`,
    // The listing walks user ids in binary order whatever the database's collation.
    `CREATE INDEX IF NOT EXISTS ${t.enrolledIndex} ON ${t.factors} ((user_id COLLATE "C")) WHERE state = 'active'`,
    `CREATE TABLE IF NOT EXISTS ${t.devices} (
  user_id text NOT NULL,
  id text NOT NULL,
  label text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  last_seen_at bigint,
  PRIMARY KEY (user_id, id)
)`,
  ];
}

const FACTOR_COLUMNS = ['user_id', 'id', 'kind', 'label', 'state', 'secret', 'counter', 'created_at', 'expires_at', 'last_used_at', 'meta'] as const;

/**
 * Every statement, by method. How they stay correct under READ COMMITTED:
 *
 * - A statement reads from one snapshot taken when it starts, but an UPDATE,
 *   DELETE, `SELECT … FOR UPDATE` or `ON CONFLICT` arbiter that meets a row
 *   changed since then waits for its writer and re-checks the newest version.
 *   So every decision below is taken on locked rows, never on a plain read.
 * - Rows are locked in one order — a user's factor rows (in id order), then
 *   the recovery row, codes, and last the attempts row — so two statements
 *   can wait for each other but never deadlock. A CTE that must run after
 *   another reads it in its WHERE (`(SELECT count(*) FROM x) >= 0`), because
 *   PostgreSQL otherwise runs data-modifying CTEs in an unspecified order.
 */
function statements(t: Tables) {
  return { ...factorStatements(t), ...attemptStatements(t), ...recoveryStatements(t), ...oneTimeStatements(t), ...deviceStatements(t), ...listingStatements(t) };
}

/** `locks[min(n, length - 1)]` of the schedule bound as `$p` (SQL arrays start at 1). */
function lockAt(n: string, p: number): string {
  return `($${p}::bigint[])[LEAST(${n}, cardinality($${p}::bigint[]) - 1) + 1]`;
}

/**
 * The reservation of `AttemptReservation` as one upsert of the attempts row,
 * for the rows of `source` (at most one): `$1` user, `$3` now, `$4` lock
 * schedule, `$5` suspendAfter. The DO UPDATE runs on the newest row, locked,
 * so concurrent reservations are counted one after the other; `last_allowed`
 * records this call's decision, which RETURNING (new values only) could not
 * tell otherwise. A refused reservation writes the row too, changing only that flag.
 */
function reserveSql(t: Tables, source: string): string {
  const allowed = '(a.failures < $5::int AND (a.locked_until IS NULL OR a.locked_until <= $3::bigint))';
  return `INSERT INTO ${t.attempts} AS a (user_id, failures, locked_until, last_allowed)
  SELECT $1::text, 1, CASE WHEN ${lockAt('1', 4)} > 0 THEN $3::bigint + ${lockAt('1', 4)} END, true ${source}
  ON CONFLICT (user_id) DO UPDATE SET
    failures = CASE WHEN ${allowed} THEN a.failures + 1 ELSE a.failures END,
    locked_until = CASE WHEN ${allowed} AND ${lockAt('a.failures + 1', 4)} > 0 THEN $3::bigint + ${lockAt('a.failures + 1', 4)} ELSE a.locked_until END,
    last_allowed = ${allowed}
  RETURNING failures, locked_until, last_allowed`;
}

/** Gives one reservation back (`$1` user, schedule `$p`), for the attempts row when `cond` holds. */
function refundSql(t: Tables, p: number, cond: string): string {
  return `UPDATE ${t.attempts} SET failures = failures - 1,
    locked_until = CASE WHEN ${lockAt('failures - 1', p)} = 0 THEN NULL ELSE locked_until END
  WHERE user_id = $1::text AND failures > 0${cond}`;
}

/** The decisive writes clear the failures; a row already clear is left unwritten. */
function clearFailuresSql(t: Tables, after: string): string {
  return `UPDATE ${t.attempts} SET failures = 0, locked_until = NULL
  WHERE user_id = $1::text AND (SELECT count(*) FROM ${after}) > 0 AND (failures <> 0 OR locked_until IS NOT NULL)`;
}

/** Every factor row of user `$1`, newest versions, locked in id order: what structural changes decide on. */
function lockFactorsSql(t: Tables): string {
  return `SELECT id, state, label, expires_at, slot FROM ${t.factors} WHERE user_id = $1::text ORDER BY id FOR UPDATE`;
}

function factorStatements(t: Tables) {
  const cols = FACTOR_COLUMNS.join(', ');
  const keep = 'NOT $13::boolean AND f.expires_at > $11::bigint';
  return {
    getUser: `SELECT a.failures AS a_failures, a.locked_until AS a_locked_until,
  (SELECT cardinality(digests) FROM ${t.recovery} WHERE user_id = $1::text) AS a_codes, f.*
FROM (SELECT 1) AS one
LEFT JOIN ${t.attempts} a ON a.user_id = $1::text
LEFT JOIN ${t.factors} f ON f.user_id = $1::text
ORDER BY f.created_at, f.id`,

    // $1–$10 the record, $11 now, $12 maxFactors, $13 replace. The same-label
    // pending factor goes with the expired ones when replaced; when kept, the
    // INSERT meets it at the pending-label index and returns it unchanged —
    // as it does a concurrent caller's new row, which no snapshot shows. The
    // limit is counted on the locked rows, and the new row takes the lowest
    // slot they leave free: a concurrent enrolment this statement cannot see
    // holds that slot or a higher one, so either the slot index refuses the
    // row (the adapter runs the statement again, on a new snapshot) or both
    // fit. (When no slot is free only a kept same-label row can answer, so
    // slot 0, taken, stands in.)
    putPendingFactor: `WITH mine AS MATERIALIZED (${lockFactorsSql(t)}
), gone AS (
  DELETE FROM ${t.factors} WHERE user_id = $1::text AND state = 'pending' AND (SELECT count(*) FROM mine) > 0
    AND (expires_at <= $11::bigint OR (label = $4::text AND $13::boolean))
  RETURNING id
), seen AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE state = 'pending' AND label = $4::text AND expires_at > $11::bigint) AS same,
    count(*) FILTER (WHERE state = 'active' OR (expires_at > $11::bigint AND label <> $4::text)) AS live,
    (SELECT min(s) FROM generate_series(0, $12::int - 1) AS s WHERE s NOT IN (
      SELECT slot FROM mine WHERE NOT (state = 'pending' AND (expires_at <= $11::bigint OR (label = $4::text AND $13::boolean))))) AS free
  FROM mine
)
INSERT INTO ${t.factors} AS f (${cols}, slot)
SELECT $1::text, $2::text, $3::text, $4::text, 'pending', $5::text, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::text, coalesce(seen.free, 0)
FROM seen WHERE (SELECT count(*) FROM gone) >= 0
  AND ((seen.same > 0 AND NOT $13::boolean) OR (seen.live < $12::int AND seen.free IS NOT NULL))
ON CONFLICT (user_id, label) WHERE state = 'pending' DO UPDATE SET
  ${FACTOR_COLUMNS.filter((c) => c !== 'user_id' && c !== 'label').map((c) => `${c} = CASE WHEN ${keep} THEN f.${c} ELSE EXCLUDED.${c} END`).join(',\n  ')}
RETURNING ${cols}`,

    // $1 user, $2 factor, $3 counter, $4 now, $5 digests, $6 sealed set, $7 meta. Concurrent
    // activations of two pending factors of one user: each first locks all of
    // the user's factor rows in id order, so the second waits for the first
    // to commit and then sees, on those locked rows, the first factor active:
    // exactly one of them finds no other active factor and issues the codes.
    // (Locking the attempts or recovery row first would not do: the second
    // statement would still judge the factors on its snapshot, taken before
    // it waited, and issue a second set.) The recovery row is upserted either
    // way, so the count returned is that of its newest version.
    activateFactor: `WITH mine AS MATERIALIZED (${lockFactorsSql(t)}
), act AS (
  UPDATE ${t.factors} SET state = 'active', counter = $3::bigint, expires_at = NULL, last_used_at = $4::bigint, meta = $7::text
  WHERE user_id = $1::text AND id = $2::text AND state = 'pending' AND expires_at > $4::bigint AND (SELECT count(*) FROM mine) > 0
  RETURNING id
), verdict AS MATERIALIZED (
  SELECT NOT EXISTS (SELECT 1 FROM mine WHERE id <> $2::text AND state = 'active') AS issued FROM act
), rec AS (
  INSERT INTO ${t.recovery} AS r (user_id, digests, sealed)
  SELECT $1::text, CASE WHEN issued THEN $5::text[] ELSE '{}'::text[] END, CASE WHEN issued THEN $6::text END FROM verdict
  ON CONFLICT (user_id) DO UPDATE SET
    digests = CASE WHEN (SELECT issued FROM verdict) THEN EXCLUDED.digests ELSE r.digests END,
    sealed = CASE WHEN (SELECT issued FROM verdict) THEN EXCLUDED.sealed ELSE r.sealed END
  RETURNING cardinality(digests) AS n
), clr AS (
  ${clearFailuresSql(t, 'rec')}
)
SELECT verdict.issued, rec.n FROM verdict, rec`,

    // The conditional UPDATE is the accept: a concurrent caller with the same
    // counter waits for the row lock, re-checks `counter < $3` on the new row
    // and matches nothing. Then the failures go and the codes left are counted.
    advanceCounter: `WITH adv AS (
  UPDATE ${t.factors} SET counter = $3::bigint, last_used_at = $4::bigint
  WHERE user_id = $1::text AND id = $2::text AND state = 'active' AND counter < $3::bigint
  RETURNING id
), clr AS (
  ${clearFailuresSql(t, 'adv')}
)
SELECT coalesce((SELECT cardinality(digests) FROM ${t.recovery} WHERE user_id = $1::text), 0) AS n FROM adv`,

    // A pending factor cannot take the label of another pending factor of the
    // user (the pending-label index): that rename answers false.
    renameFactor: `UPDATE ${t.factors} AS f SET label = $3::text
WHERE user_id = $1::text AND id = $2::text AND NOT (f.state = 'pending' AND EXISTS (
  SELECT 1 FROM ${t.factors} o WHERE o.user_id = $1::text AND o.id <> $2::text AND o.state = 'pending' AND o.label = $3::text))
RETURNING 1`,

    resealFactor: `UPDATE ${t.factors} SET secret = $4::text WHERE user_id = $1::text AND id = $2::text AND secret = $3::text RETURNING 1`,

    // Whether an active factor is left is judged on the locked rows, so a
    // concurrent activation either commits first (and is seen) or waits and
    // then finds its factor gone.
    removeFactor: `WITH mine AS MATERIALIZED (${lockFactorsSql(t)}
), del AS (
  DELETE FROM ${t.factors} WHERE user_id = $1::text AND id = $2::text AND (SELECT count(*) FROM mine) > 0 RETURNING id
), verdict AS MATERIALIZED (
  SELECT EXISTS (SELECT 1 FROM del) AS removed,
    EXISTS (SELECT 1 FROM del) AND NOT EXISTS (SELECT 1 FROM mine WHERE id <> $2::text AND state = 'active') AS disabled
), ${deleteRestSql(t, "id <> $2::text AND (SELECT disabled FROM verdict)", '(SELECT disabled FROM verdict)')}
SELECT removed, disabled FROM verdict`,

    deleteUser: `WITH mine AS MATERIALIZED (${lockFactorsSql(t)}
), ${deleteRestSql(t, '(SELECT count(*) FROM mine) >= 0', 'true')}
SELECT (SELECT count(*) FROM f) > 0 AS existed`,
  };
}

/** The CTEs `f`, `rec`, `cod`, `dev`, `att` that delete a user's factors (where `factorCond`) and, when `cond`, the rest, in lock order. */
function deleteRestSql(t: Tables, factorCond: string, cond: string): string {
  return `f AS (
  DELETE FROM ${t.factors} WHERE user_id = $1::text AND ${factorCond} RETURNING 1
), rec AS (
  DELETE FROM ${t.recovery} WHERE user_id = $1::text AND ${cond} AND (SELECT count(*) FROM f) >= 0 RETURNING 1
), cod AS (
  DELETE FROM ${t.codes} WHERE user_id = $1::text AND ${cond} AND (SELECT count(*) FROM rec) >= 0 RETURNING 1
), dev AS (
  DELETE FROM ${t.devices} WHERE user_id = $1::text AND ${cond} AND (SELECT count(*) FROM cod) >= 0 RETURNING 1
), att AS (
  DELETE FROM ${t.attempts} WHERE user_id = $1::text AND ${cond} AND (SELECT count(*) FROM dev) >= 0
)`;
}

function attemptStatements(t: Tables) {
  return {
    // $1 user, $2 state, $3 now, $4 locks, $5 suspendAfter. Load and reserve:
    // the upsert's SELECT yields a row only when the user has a factor in that
    // state, so an unknown or unenrolled user writes nothing.
    beginAttempt: `WITH f AS MATERIALIZED (
  SELECT ${FACTOR_COLUMNS.join(', ')} FROM ${t.factors}
  WHERE user_id = $1::text AND state = $2::text AND ($2::text = 'active' OR expires_at > $3::bigint)
), r AS (
  ${reserveSql(t, 'WHERE EXISTS (SELECT 1 FROM f)')}
)
SELECT f.*, r.failures AS r_failures, r.locked_until AS r_locked_until, r.last_allowed AS r_allowed
FROM f LEFT JOIN r ON true ORDER BY f.created_at, f.id`,

    refundAttempt: refundSql(t, 2, ''),
  };
}

function recoveryStatements(t: Tables) {
  return {
    // One row per user holds the whole set (written with the first active
    // factor, deleted with the last): a replacement overwrites it under its
    // row lock, so concurrent replacements leave exactly one whole set.
    replaceRecoveryCodes: `UPDATE ${t.recovery} SET digests = $2::text[], sealed = $3::text
WHERE user_id = $1::text AND EXISTS (SELECT 1 FROM ${t.factors} WHERE user_id = $1::text AND state = 'active')
RETURNING 1`,

    getRecoveryCodes: `SELECT digests, sealed FROM ${t.recovery} WHERE user_id = $1::text`,

    // A concurrent consumer waits for the row lock and re-checks `= ANY` on
    // the new row: a digest is removed, and accepted, once.
    consumeRecoveryCode: `WITH used AS (
  UPDATE ${t.recovery} SET digests = array_remove(digests, $2::text)
  WHERE user_id = $1::text AND $2::text = ANY (digests)
  RETURNING cardinality(digests) AS n
), clr AS (
  ${clearFailuresSql(t, 'used')}
)
SELECT n FROM used`,
  };
}

function oneTimeStatements(t: Tables) {
  const codeCols = 'user_id, id, digest, created_at, expires_at, attempts_left';
  const challengeCols = 'id, user_id, created_at, expires_at, attempts_left';
  return {
    // $1 user, $2 id, $3 digest, $4 createdAt, $5 expiresAt, $6 attemptsLeft,
    // $7 cooldown. The old row is locked first, so its creation time is the
    // one the cooldown was judged on; the user's other expired codes go (rows
    // another call holds are left for later, so two calls never wait for each other).
    putCode: `WITH old AS MATERIALIZED (
  SELECT created_at FROM ${t.codes} WHERE user_id = $1::text AND id = $2::text FOR UPDATE
), put AS (
  INSERT INTO ${t.codes} AS c (${codeCols})
  SELECT $1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::int WHERE (SELECT count(*) FROM old) >= 0
  ON CONFLICT (user_id, id) DO UPDATE SET digest = EXCLUDED.digest, created_at = EXCLUDED.created_at,
    expires_at = EXCLUDED.expires_at, attempts_left = EXCLUDED.attempts_left
  WHERE NOT (c.expires_at > EXCLUDED.created_at AND EXCLUDED.created_at - c.created_at < $7::bigint)
  RETURNING 1
), gc AS (
  DELETE FROM ${t.codes} WHERE (user_id, id) IN (
    SELECT user_id, id FROM ${t.codes} WHERE user_id = $1::text AND id <> $2::text AND expires_at <= $4::bigint
      AND (SELECT count(*) FROM put) > 0
    FOR UPDATE SKIP LOCKED)
)
SELECT (SELECT count(*) FROM put) > 0 AS ok, coalesce((SELECT created_at FROM old), $4::bigint) AS since`,

    // $1 user, $2 id, $3 now, $4 locks, $5 suspendAfter. The code row is
    // locked first (newest version); an expired one is deleted, a live one is
    // reserved for and, when allowed, loses one try. An exhausted one stays
    // until it expires: the answer that took its last try may still be right.
    beginCodeAttempt: `WITH cur AS MATERIALIZED (
  SELECT ${codeCols}, (expires_at > $3::bigint AND attempts_left > 0) AS live
  FROM ${t.codes} WHERE user_id = $1::text AND id = $2::text FOR UPDATE
), dead AS (
  DELETE FROM ${t.codes} WHERE user_id = $1::text AND id = $2::text AND EXISTS (SELECT 1 FROM cur WHERE expires_at <= $3::bigint)
), r AS (
  ${reserveSql(t, 'FROM cur WHERE live')}
), take AS (
  UPDATE ${t.codes} SET attempts_left = attempts_left - 1
  WHERE user_id = $1::text AND id = $2::text AND coalesce((SELECT last_allowed FROM r), false)
  RETURNING attempts_left
)
SELECT cur.*, r.failures AS r_failures, r.locked_until AS r_locked_until, r.last_allowed AS r_allowed, take.attempts_left AS taken_left
FROM cur LEFT JOIN r ON true LEFT JOIN take ON true`,

    acceptCode: `WITH del AS (
  DELETE FROM ${t.codes} WHERE user_id = $1::text AND id = $2::text RETURNING 1
), ref AS (
  ${refundSql(t, 3, ' AND (SELECT count(*) FROM del) > 0')}
)
SELECT 1 FROM del`,

    deleteCode: `DELETE FROM ${t.codes} WHERE user_id = $1::text AND id = $2::text RETURNING 1`,

    // Also sweeps a few expired challenges (skipping rows another call holds),
    // so abandoned ones do not pile up between runs of purgeExpired.
    putChallenge: `WITH gc AS (
  DELETE FROM ${t.challenges} WHERE id IN (
    SELECT id FROM ${t.challenges} WHERE expires_at <= $3::bigint AND id <> $1::text LIMIT 32 FOR UPDATE SKIP LOCKED)
)
INSERT INTO ${t.challenges} (${challengeCols}) VALUES ($1::text, $2::text, $3::bigint, $4::bigint, $5::int)
ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at,
  expires_at = EXCLUDED.expires_at, attempts_left = EXCLUDED.attempts_left`,

    // Decided on the locked, newest row; the DELETE or UPDATE then acts on it.
    // An exhausted challenge stays until it expires, for its last try's answer to consume.
    spendChallenge: `WITH cur AS MATERIALIZED (
  SELECT id, expires_at, (expires_at > $2::bigint AND attempts_left > 0) AS live FROM ${t.challenges} WHERE id = $1::text FOR UPDATE
), dead AS (
  DELETE FROM ${t.challenges} WHERE id = $1::text AND EXISTS (SELECT 1 FROM cur WHERE expires_at <= $2::bigint)
)
UPDATE ${t.challenges} SET attempts_left = attempts_left - 1
WHERE id = $1::text AND EXISTS (SELECT 1 FROM cur WHERE live)
RETURNING ${challengeCols}`,

    deleteChallenge: `DELETE FROM ${t.challenges} WHERE id = $1::text RETURNING 1`,

    purgeExpired: `WITH c AS (DELETE FROM ${t.challenges} WHERE expires_at <= $1::bigint RETURNING 1),
d AS (DELETE FROM ${t.codes} WHERE expires_at <= $1::bigint RETURNING 1),
f AS (DELETE FROM ${t.factors} WHERE state = 'pending' AND expires_at <= $1::bigint RETURNING 1),
v AS (DELETE FROM ${t.devices} WHERE expires_at <= $1::bigint RETURNING 1)
SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM d) + (SELECT count(*) FROM f) + (SELECT count(*) FROM v) AS n`,
  };
}

function deviceStatements(t: Tables) {
  const cols = 'user_id, id, label, created_at, expires_at, last_seen_at';
  return {
    // $1 user, $2 id, $3 label, $4 createdAt, $5 expiresAt, $6 lastSeenAt. The
    // user's expired devices go too (rows another call holds are left for later).
    putDevice: `WITH gc AS (
  DELETE FROM ${t.devices} WHERE (user_id, id) IN (
    SELECT user_id, id FROM ${t.devices} WHERE user_id = $1::text AND id <> $2::text AND expires_at <= $4::bigint
    FOR UPDATE SKIP LOCKED)
)
INSERT INTO ${t.devices} (${cols}) VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::bigint)
ON CONFLICT (user_id, id) DO UPDATE SET label = EXCLUDED.label, created_at = EXCLUDED.created_at,
  expires_at = EXCLUDED.expires_at, last_seen_at = EXCLUDED.last_seen_at`,

    // $1 user, $2 id, $3 now. Both writes meet the row's lock: a touch racing a
    // revoke either commits first or re-checks and finds the row gone. The
    // conditions exclude each other (expires_at is never changed here).
    touchDevice: `WITH dead AS (
  DELETE FROM ${t.devices} WHERE user_id = $1::text AND id = $2::text AND expires_at <= $3::bigint
)
UPDATE ${t.devices} SET last_seen_at = $3::bigint
WHERE user_id = $1::text AND id = $2::text AND expires_at > $3::bigint
RETURNING ${cols}`,

    listDevices: `SELECT ${cols} FROM ${t.devices} WHERE user_id = $1::text AND expires_at > $2::bigint ORDER BY created_at, id`,

    revokeDevice: `DELETE FROM ${t.devices} WHERE user_id = $1::text AND id = $2::text RETURNING 1`,

    revokeAllDevices: `WITH d AS (DELETE FROM ${t.devices} WHERE user_id = $1::text RETURNING 1) SELECT count(*) AS n FROM d`,
  };
}

function listingStatements(t: Tables) {
  return {
    // $1 cursor (exclusive, or NULL), $2 rows. Keyset pagination on the user
    // id in binary order (COLLATE "C", the enrolled index), whatever the
    // database's collation, so pages neither skip nor repeat a user.
    listEnrolled: `SELECT f.user_id, count(*) AS n,
  array_agg(DISTINCT f.kind COLLATE "C" ORDER BY f.kind COLLATE "C") AS kinds, max(f.last_used_at) AS last_used_at,
  coalesce((SELECT a.failures FROM ${t.attempts} a WHERE a.user_id = f.user_id), 0) AS failures
FROM ${t.factors} f
WHERE f.state = 'active' AND ($1::text IS NULL OR f.user_id COLLATE "C" > $1::text COLLATE "C")
GROUP BY f.user_id
ORDER BY f.user_id COLLATE "C"
LIMIT $2::int`,

    countEnrolled: `SELECT count(DISTINCT user_id) AS n FROM ${t.factors} WHERE state = 'active'`,
  };
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === constraint;
}

function isDuplicateObject(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // unique_violation (on the catalog), duplicate_table, duplicate_object
  return code === '23505' || code === '42P07' || code === '42710';
}
