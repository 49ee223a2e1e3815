import { MfaError } from '../errors.js';
import type {
  AttemptReservation,
  AttemptState,
  ChallengeConsumeResult,
  ChallengeRecord,
  FactorRecord,
  MfaStore,
  ThrottlePolicy,
} from '../store/types.js';

/**
 * What the adapter needs from a database client: `query(text, params)`
 * resolving to an object with `rows`. A `pg` `Pool` or `Client` and a PGlite
 * instance all fit; mfakit never imports a driver.
 */
export interface PostgresClient {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
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
}

/** An {@link MfaStore} over PostgreSQL, with the migration that creates its tables. */
export interface PostgresStore extends MfaStore {
  /**
   * Creates the tables and index if they do not exist. Safe to run on every
   * start; best run from one process (a deploy step), as concurrent `CREATE
   * TABLE IF NOT EXISTS` may still collide in PostgreSQL (retried once).
   *
   * @returns when the tables exist
   * @throws whatever the client rejects with (connection or permission errors)
   * @example
   * await createPostgresStore(pool).migrate();
   */
  migrate(): Promise<void>;
  /**
   * Deletes challenges and pending factors that expired at or before `now`.
   * Nothing depends on it (expired rows are refused and replaced anyway); run
   * it now and then to keep abandoned rows from piling up.
   *
   * @param now - current time in ms since the epoch
   * @returns how many rows were deleted
   * @throws whatever the client rejects with
   * @example
   * setInterval(() => store.purgeExpired(Date.now()).catch(() => {}), 3_600_000);
   */
  purgeExpired(now: number): Promise<number>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/**
 * The SQL that creates mfakit's tables, as `store.migrate()` runs it, for
 * hosts that run their own migrations. The same text (default prefix, no
 * schema) ships as `mfakit/dist/postgres-schema.sql`.
 *
 * Times are `bigint` milliseconds since the epoch. The sealed secret is
 * ciphertext and recovery codes are digests: no secret is stored in plaintext.
 *
 * @param opts - `tablePrefix` and `schema`, as for {@link createPostgresStore}
 * @returns idempotent DDL statements separated by `;` and newlines
 * @throws {MfaError} `INVALID_CONFIG` when the prefix or schema is not a plain identifier
 * @example
 * import { postgresSchemaSql } from 'mfakit/postgres';
 * await pool.query(postgresSchemaSql({ tablePrefix: 'auth_mfa_' }));
 */
export function postgresSchemaSql(opts: PostgresStoreOptions = {}): string {
  return schemaStatements(tableNames(opts)).join(';\n\n') + ';\n';
}

/**
 * Creates an {@link MfaStore} over PostgreSQL 12+ (or PGlite). Every method is
 * one SQL statement, so it is atomic on a pool without checking out a client,
 * and safe when many app servers share the database: `claimStep` is a
 * conditional `UPDATE … WHERE last_step < $2`, `reserveAttempt` an
 * `INSERT … ON CONFLICT DO UPDATE` whose row lock serialises concurrent
 * callers, and a user's recovery codes are one row (a `text[]` of digests)
 * that every recovery-code method writes or reads as a whole, so replacing
 * and consuming are ordered by that row's lock.
 *
 * Run `store.migrate()` once (or the SQL of {@link postgresSchemaSql}) before use.
 * Errors of the client reject the promise unchanged; the flows of `createMfa`
 * turn them into `MfaError('STORE_UNAVAILABLE')`. With a `pg` Pool, listen to
 * its `error` event, as `pg` asks, so a dropped idle connection does not
 * crash the process.
 *
 * @param client - a `pg` Pool or Client, a PGlite instance, or anything with `query(text, params)` → `{ rows }`
 * @param opts - `tablePrefix` (default `'mfakit_'`) and `schema`
 * @returns the store, with `migrate()` and `purgeExpired(now)`
 * @throws {MfaError} `INVALID_CONFIG` when `client` has no `query` method or an option is not a plain identifier
 * @example
 * import pg from 'pg';
 * import { createMfa } from 'mfakit';
 * import { createPostgresStore } from 'mfakit/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', () => {}); // idle connections dropped by the server
 * const store = createPostgresStore(pool);
 * await store.migrate();
 * const mfa = createMfa({ store, issuer: 'ACME', secretKeys, pepper });
 */
export function createPostgresStore(client: PostgresClient, opts: PostgresStoreOptions = {}): PostgresStore {
  if (typeof client !== 'object' || client === null || typeof client.query !== 'function') {
    throw new MfaError('INVALID_CONFIG', 'createPostgresStore: client must have a query(text, params) method (pg Pool or Client, PGlite)');
  }
  const t = tableNames(opts);
  const sql = statements(t);
  const rows = async (text: string, params: unknown[]): Promise<Row[]> => (await client.query(text, params)).rows as Row[];

  return {
    async migrate() {
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
    },

    async purgeExpired(now) {
      const [row] = await rows(sql.purgeExpired, [now]);
      return Number(row?.n ?? 0);
    },

    async getFactor(userId) {
      const [row] = await rows(sql.getFactor, [userId]);
      return row === undefined ? null : toFactor(row);
    },

    async putPendingFactor(record) {
      if (record.state !== 'pending') throw new TypeError(`putPendingFactor expects a pending record, got state ${String(record.state)}`);
      const r = await rows(sql.putPendingFactor, [record.userId, record.secret, record.createdAt, record.expiresAt, record.lastStep]);
      return r.length > 0;
    },

    async activateFactor(userId, expectedSecret, step, now, recoveryHashes) {
      const [row] = await rows(sql.activateFactor, [userId, expectedSecret, now, step, [...recoveryHashes]]);
      return Number(row?.n ?? 0) > 0;
    },

    async updateFactorSecret(userId, expectedSecret, newSecret) {
      return (await rows(sql.updateFactorSecret, [userId, expectedSecret, newSecret])).length > 0;
    },

    async deleteUser(userId) {
      const [row] = await rows(sql.deleteUser, [userId]);
      return Number(row?.n ?? 0) > 0;
    },

    async claimStep(userId, step) {
      return (await rows(sql.claimStep, [userId, step])).length > 0;
    },

    async reserveAttempt(userId, now, policy): Promise<AttemptReservation> {
      const p = [userId, now, policy.freeFailures, policy.baseLockMs, policy.maxLockMs, policy.suspendAfter];
      const [row] = await rows(sql.reserveAttempt, p);
      if (row === undefined) throw new Error('reserveAttempt: the upsert returned no row');
      const failures = Number(row.failures);
      return {
        allowed: row.last_allowed === true,
        failures,
        lockedUntil: toTime(row.locked_until),
        suspended: failures >= policy.suspendAfter,
      };
    },

    async clearFailures(userId) {
      await rows(sql.clearFailures, [userId]);
    },

    async getAttempts(userId): Promise<AttemptState> {
      const [row] = await rows(sql.getAttempts, [userId]);
      return row === undefined ? { failures: 0, lockedUntil: null } : { failures: Number(row.failures), lockedUntil: toTime(row.locked_until) };
    },

    async replaceRecoveryCodes(userId, hashes) {
      await rows(sql.replaceRecoveryCodes, [userId, [...hashes]]);
    },

    async consumeRecoveryCode(userId, hash) {
      return (await rows(sql.consumeRecoveryCode, [userId, hash])).length > 0;
    },

    async countRecoveryCodes(userId) {
      const [row] = await rows(sql.countRecoveryCodes, [userId]);
      return Number(row?.n ?? 0);
    },

    async putChallenge(id, record, cooldownMs) {
      const p = [id, record.userId, record.purpose, record.digest, record.destination, record.createdAt, record.expiresAt, record.attemptsLeft, cooldownMs];
      return (await rows(sql.putChallenge, p)).length > 0;
    },

    async consumeChallenge(id, purpose, digest, now): Promise<ChallengeConsumeResult> {
      const [row] = await rows(sql.consumeChallenge, [id, purpose, digest, now]);
      if (row === undefined) return { ok: false, reason: 'missing', attemptsLeft: 0 };
      const left = Number(row.attempts_left);
      switch (row.outcome) {
        case 'ok':
          return { ok: true, record: toChallenge(row) };
        case 'mismatch':
          return { ok: false, reason: 'mismatch', attemptsLeft: Math.max(left - 1, 0) };
        case 'expired':
          return { ok: false, reason: 'expired', attemptsLeft: 0 };
        default:
          return { ok: false, reason: 'exhausted', attemptsLeft: 0 };
      }
    },

    async deleteChallenge(id) {
      return (await rows(sql.deleteChallenge, [id])).length > 0;
    },
  };
}

type Row = Record<string, unknown>;

interface Tables {
  factors: string;
  recovery: string;
  attempts: string;
  challenges: string;
  challengesUserIndex: string;
}

function tableNames(opts: PostgresStoreOptions): Tables {
  if (typeof opts !== 'object' || opts === null) throw new MfaError('INVALID_CONFIG', 'createPostgresStore: options must be an object');
  const prefix = opts.tablePrefix ?? 'mfakit_';
  // Identifiers cannot be bound as parameters, so only plain names are let into the SQL text.
  if (typeof prefix !== 'string' || !IDENTIFIER.test(prefix)) {
    throw new MfaError('INVALID_CONFIG', 'tablePrefix must be 1–40 letters, digits or _, starting with a letter or _');
  }
  if (opts.schema !== undefined && (typeof opts.schema !== 'string' || !IDENTIFIER.test(opts.schema))) {
    throw new MfaError('INVALID_CONFIG', 'schema must be 1–40 letters, digits or _, starting with a letter or _');
  }
  const q = (name: string): string => (opts.schema === undefined ? `"${name}"` : `"${opts.schema}"."${name}"`);
  return {
    factors: q(`${prefix}factors`),
    recovery: q(`${prefix}recovery_sets`),
    attempts: q(`${prefix}attempts`),
    challenges: q(`${prefix}challenges`),
    challengesUserIndex: `"${prefix}challenges_user_id"`,
  };
}

function schemaStatements(t: Tables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.factors} (
  user_id text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('pending', 'active')),
  secret text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  last_step bigint NOT NULL DEFAULT -1
)`,
    `CREATE TABLE IF NOT EXISTS ${t.recovery} (
  user_id text PRIMARY KEY,
  digests text[] NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS ${t.attempts} (
  user_id text PRIMARY KEY,
  failures integer NOT NULL,
  locked_until bigint,
  last_allowed boolean NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS ${t.challenges} (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  purpose text NOT NULL,
  digest text NOT NULL,
  destination text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  attempts_left integer NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${t.challengesUserIndex} ON ${t.challenges} (user_id)`,
  ];
}

function statements(t: Tables) {
  const factorCols = 'user_id, state, secret, created_at, expires_at, last_step';
  const challengeCols = 'id, user_id, purpose, digest, destination, created_at, expires_at, attempts_left';
  // The lock: baseLockMs · 2^(failures − freeFailures), exponent capped at 52 and
  // computed in float8 so it never overflows, then capped at maxLockMs.
  const lock = (failures: string): string =>
    `($2::bigint + LEAST($4::float8 * power(2::float8, LEAST(${failures} - $3::int, 52)), $5::float8)::bigint)`;
  // Decided on the existing row as locked by ON CONFLICT DO UPDATE (its latest version).
  const allowed = '(a.failures < $6::int AND (a.locked_until IS NULL OR a.locked_until <= $2::bigint))';
  // Each digest once, so cardinality() counts codes and array_remove() spends one code.
  const distinct = (arr: string): string => `ARRAY(SELECT DISTINCT d FROM unnest(${arr}) AS d WHERE d IS NOT NULL)`;
  return {
    getFactor: `SELECT ${factorCols} FROM ${t.factors} WHERE user_id = $1`,

    // The DO UPDATE's WHERE keeps an active factor: no row comes back then.
    putPendingFactor: `INSERT INTO ${t.factors} AS f (${factorCols})
VALUES ($1, 'pending', $2, $3::bigint, $4::bigint, $5::bigint)
ON CONFLICT (user_id) DO UPDATE SET state = 'pending', secret = EXCLUDED.secret,
  created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, last_step = EXCLUDED.last_step
WHERE f.state = 'pending'
RETURNING 1`,

    // The user's recovery row is replaced by the same upsert as replaceRecoveryCodes,
    // only when the factor's UPDATE matched.
    activateFactor: `WITH act AS (
  UPDATE ${t.factors} SET state = 'active', created_at = $3::bigint, expires_at = NULL, last_step = $4::bigint
  WHERE user_id = $1 AND state = 'pending' AND secret = $2 AND expires_at > $3::bigint
  RETURNING user_id
), codes AS (
  INSERT INTO ${t.recovery} (user_id, digests)
  SELECT act.user_id, ${distinct('$5::text[]')} FROM act
  ON CONFLICT (user_id) DO UPDATE SET digests = EXCLUDED.digests
)
SELECT count(*)::int AS n FROM act`,

    updateFactorSecret: `UPDATE ${t.factors} SET secret = $3 WHERE user_id = $1 AND secret = $2 RETURNING 1`,

    deleteUser: `WITH f AS (DELETE FROM ${t.factors} WHERE user_id = $1 RETURNING 1),
r AS (DELETE FROM ${t.recovery} WHERE user_id = $1),
a AS (DELETE FROM ${t.attempts} WHERE user_id = $1),
c AS (DELETE FROM ${t.challenges} WHERE user_id = $1)
SELECT count(*)::int AS n FROM f`,

    // A concurrent claimer waits for the row lock, then re-checks last_step on the new row.
    claimStep: `UPDATE ${t.factors} SET last_step = $2::bigint
WHERE user_id = $1 AND state = 'active' AND last_step < $2::bigint
RETURNING 1`,

    // Always updates the row, so its lock orders concurrent callers and RETURNING
    // shows the latest state; last_allowed records this call's decision, which
    // RETURNING (new values only) could not tell otherwise.
    reserveAttempt: `INSERT INTO ${t.attempts} AS a (user_id, failures, locked_until, last_allowed)
VALUES ($1,
  CASE WHEN 0 >= $6::int THEN 0 ELSE 1 END,
  CASE WHEN 0 < $6::int AND 1 >= $3::int THEN ${lock('1')} END,
  0 < $6::int)
ON CONFLICT (user_id) DO UPDATE SET
  failures = CASE WHEN ${allowed} THEN a.failures + 1 ELSE a.failures END,
  locked_until = CASE WHEN ${allowed} AND a.failures + 1 >= $3::int THEN ${lock('(a.failures + 1)')} ELSE a.locked_until END,
  last_allowed = ${allowed}
RETURNING failures, locked_until, last_allowed`,

    clearFailures: `DELETE FROM ${t.attempts} WHERE user_id = $1`,

    getAttempts: `SELECT failures, locked_until FROM ${t.attempts} WHERE user_id = $1`,

    // One row per user holds the whole set. The upsert inserts it or, when a row
    // exists (even one committed after this statement's snapshot), locks and
    // overwrites it: concurrent replacements are ordered by that lock and the
    // last one wins whole. An empty set is kept as an empty row.
    replaceRecoveryCodes: `INSERT INTO ${t.recovery} (user_id, digests)
VALUES ($1, ${distinct('$2::text[]')})
ON CONFLICT (user_id) DO UPDATE SET digests = EXCLUDED.digests`,

    // A concurrent consumer or replacer waits for the row lock, then the WHERE is
    // re-checked on the latest row: a digest is removed, and true returned, once.
    consumeRecoveryCode: `UPDATE ${t.recovery} SET digests = array_remove(digests, $2::text)
WHERE user_id = $1 AND $2::text = ANY (digests)
RETURNING 1`,

    countRecoveryCodes: `SELECT cardinality(digests) AS n FROM ${t.recovery} WHERE user_id = $1`,

    // Also drops the user's other expired challenges, so abandoned ones do not pile up.
    putChallenge: `WITH gc AS (
  DELETE FROM ${t.challenges} WHERE user_id = $2 AND id <> $1 AND expires_at <= $6::bigint
)
INSERT INTO ${t.challenges} AS c (${challengeCols})
VALUES ($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8::int)
ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, purpose = EXCLUDED.purpose, digest = EXCLUDED.digest,
  destination = EXCLUDED.destination, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
  attempts_left = EXCLUDED.attempts_left
WHERE NOT (c.expires_at > EXCLUDED.created_at AND EXCLUDED.created_at - c.created_at < $9::bigint)
RETURNING 1`,

    // FOR UPDATE locks the row and, under READ COMMITTED, yields its latest
    // version; the outcome is decided on that version and the DELETE/UPDATE
    // act on it, so concurrent consumers are ordered by the row lock.
    consumeChallenge: `WITH cur AS MATERIALIZED (
  SELECT ${challengeCols},
    CASE WHEN expires_at <= $4::bigint THEN 'expired'
         WHEN attempts_left <= 0 THEN 'exhausted'
         WHEN digest = $3 AND purpose = $2 THEN 'ok'
         ELSE 'mismatch' END AS outcome
  FROM ${t.challenges} WHERE id = $1
  FOR UPDATE
), del AS (
  DELETE FROM ${t.challenges} c USING cur
  WHERE c.id = cur.id AND (cur.outcome IN ('expired', 'ok') OR (cur.outcome = 'mismatch' AND cur.attempts_left <= 1))
), upd AS (
  UPDATE ${t.challenges} c SET attempts_left = cur.attempts_left - 1 FROM cur
  WHERE c.id = cur.id AND cur.outcome = 'mismatch' AND cur.attempts_left > 1
)
SELECT * FROM cur`,

    deleteChallenge: `DELETE FROM ${t.challenges} WHERE id = $1 RETURNING 1`,

    purgeExpired: `WITH c AS (DELETE FROM ${t.challenges} WHERE expires_at <= $1::bigint RETURNING 1),
f AS (DELETE FROM ${t.factors} WHERE state = 'pending' AND expires_at <= $1::bigint RETURNING 1)
SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM f) AS n`,
  };
}

/** `bigint` columns come back as strings from `pg` and as numbers or bigints from PGlite. */
function toTime(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toFactor(row: Row): FactorRecord {
  return {
    userId: String(row.user_id),
    state: row.state === 'active' ? 'active' : 'pending',
    secret: String(row.secret),
    createdAt: Number(row.created_at),
    expiresAt: toTime(row.expires_at),
    lastStep: Number(row.last_step),
  };
}

function toChallenge(row: Row): ChallengeRecord {
  return {
    userId: String(row.user_id),
    purpose: String(row.purpose),
    digest: String(row.digest),
    destination: String(row.destination),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    attemptsLeft: Number(row.attempts_left),
  };
}

function isDuplicateObject(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // unique_violation (on the catalog), duplicate_table, duplicate_object
  return code === '23505' || code === '42P07' || code === '42710';
}
