// What the SQL adapters (mfakit/postgres, mfakit/mysql) share: the checks of
// their options, the store methods whose statements take and answer the same
// columns in both dialects, and the conversion of rows into records. The SQL
// itself stays in each adapter.
import { MfaError } from '../errors.js';
import { assertTime } from '../internal/ids.js';
import type { AttemptReservation, ChallengeRecord, CodeRecord, DeviceRecord, EnrolledUser, FactorRecord, MfaStore, StoreImplementation, ThrottleSchedule } from '../store/types.js';

/** An {@link MfaStore} over a SQL database, with the migration that creates what it needs. */
export interface SqlStore extends MfaStore {
  /**
   * Creates the tables (and whatever else the store runs on) if they do not
   * exist. Safe to run on every start.
   *
   * @returns when the store is ready
   * @throws whatever the client rejects with (connection or permission errors)
   */
  migrate(): Promise<void>;
  /**
   * Deletes sign-in challenges, e-mail/SMS codes, trusted devices and pending
   * factors that expired at or before `now`, in one round trip. Nothing
   * depends on it (expired rows are refused, and swept as new ones are
   * stored); run it now and then to keep abandoned rows from piling up.
   *
   * @param now - current time in ms since the epoch
   * @returns how many rows were deleted
   * @throws {TypeError} when `now` is not a non-negative safe integer
   * @throws whatever the client rejects with
   * @example
   * setInterval(() => store.purgeExpired(Date.now()).catch(() => {}), 3_600_000);
   */
  purgeExpired(now: number): Promise<number>;
}

/** A row as the driver hands it over. */
export type Row = Record<string, unknown>;

/** What the shared methods bind: text, safe integers and NULL. */
export type SqlValue = string | number | null;

/** The store methods whose statements take the same values and answer the same columns in both dialects. */
export type SharedMethod =
  | 'getUser' | 'advanceCounter' | 'renameFactor' | 'resealFactor' | 'removeFactor' | 'consumeRecoveryCode'
  | 'putCode' | 'deleteCode' | 'putChallenge' | 'spendChallenge' | 'deleteChallenge'
  | 'putDevice' | 'touchDevice' | 'listDevices' | 'revokeDevice' | 'revokeAllDevices'
  | 'listEnrolled' | 'countEnrolled' | 'purgeExpired';

/** Runs the statement of `method` with `values` in one round trip: the rows it answers. */
export type SharedRun = (method: SharedMethod, values: SqlValue[]) => Promise<Row[]>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/**
 * Checks that the client of `create…Store` has a `query` method.
 *
 * @param factory - the function's name, for the message
 * @param client - the client given
 * @param hint - what `query` takes and which clients fit, for the message
 * @throws {MfaError} `INVALID_CONFIG` when the client has no `query` method
 */
export function assertClient(factory: string, client: unknown, hint: string): void {
  if (typeof client !== 'object' || client === null || typeof (client as { query?: unknown }).query !== 'function') {
    throw new MfaError('INVALID_CONFIG', `${factory}: client must have a ${hint}`);
  }
}

/**
 * Checks the naming options. Identifiers cannot be bound as parameters, so
 * only plain names are let into the SQL text.
 *
 * @param factory - the function's name, for the message
 * @param opts - the options given
 * @param container - the option that names the schema or database
 * @returns the table prefix (default `'mfakit_'`) and the schema or database, checked
 * @throws {MfaError} `INVALID_CONFIG` when `opts` is not an object, or a name is not a plain identifier
 */
export function readNames<K extends string>(factory: string, opts: { tablePrefix?: string } & { [key in K]?: string }, container: K): { prefix: string; container: string | undefined } {
  if (typeof opts !== 'object' || opts === null) throw new MfaError('INVALID_CONFIG', `${factory}: options must be an object`);
  const prefix = opts.tablePrefix ?? 'mfakit_';
  if (typeof prefix !== 'string' || !IDENTIFIER.test(prefix)) throw invalidName('tablePrefix');
  const name = opts[container];
  if (name !== undefined && (typeof name !== 'string' || !IDENTIFIER.test(name))) throw invalidName(container);
  return { prefix, container: name };
}

/** The v2 store's tables, each name quoted (and qualified) for the dialect. */
export interface SqlTables {
  factors: string;
  attempts: string;
  recovery: string;
  codes: string;
  challenges: string;
  devices: string;
}

/**
 * The names of the v2 tables (`<prefix>factors_v2`, …). With a 40-character
 * prefix every name stays within PostgreSQL's 63 bytes and MySQL's 64 characters.
 *
 * @param prefix - the table prefix, checked by {@link readNames}
 * @param quote - quotes (and qualifies) one name for the dialect
 * @returns the names
 */
export function tablesOf(prefix: string, quote: (name: string) => string): SqlTables {
  const q = (table: string): string => quote(`${prefix}${table}_v2`);
  return { factors: q('factors'), attempts: q('attempts'), recovery: q('recovery'), codes: q('codes'), challenges: q('challenges'), devices: q('devices') };
}

function invalidName(option: string): MfaError {
  return new MfaError('INVALID_CONFIG', `${option} must be 1–40 letters, digits or _, starting with a letter or _`);
}

/**
 * The `preparedStatements` option: `available` when it is not given.
 *
 * @param option - the option given
 * @param available - whether the client can take prepared statements
 * @param refusal - the message for `true` when it cannot
 * @returns whether to send prepared statements
 * @throws {MfaError} `INVALID_CONFIG` when the option is not a boolean, or is `true` and not `available`
 */
export function readPrepared(option: unknown, available: boolean, refusal: string): boolean {
  if (option === undefined) return available;
  if (typeof option !== 'boolean') throw new MfaError('INVALID_CONFIG', 'preparedStatements must be a boolean');
  if (option && !available) throw new MfaError('INVALID_CONFIG', refusal);
  return option;
}

/**
 * The store methods that read the same in both dialects: each is one call of
 * `run`. `done` tells whether a statement that answers "did it" (a rename, a
 * deletion) found its row, as each dialect answers that differently.
 *
 * @param run - runs one statement
 * @param done - whether the rows of such a statement say it found its row
 * @returns those methods, with the v2 manifest
 */
export function sharedMethods(run: SharedRun, done: (rows: Row[]) => boolean): Pick<StoreImplementation, 'supports' | SharedMethod & keyof StoreImplementation> {
  const first = async (method: SharedMethod, values: SqlValue[]): Promise<Row | undefined> => (await run(method, values))[0];
  const counted = async (method: SharedMethod, values: SqlValue[]): Promise<number> => Number((await first(method, values))?.n ?? 0);
  const codesLeft = async (method: SharedMethod, values: SqlValue[]): Promise<{ recoveryCodes: number } | null> => {
    const row = await first(method, values);
    return row === undefined ? null : { recoveryCodes: Number(row.n) };
  };
  return {
    supports: { oneTime: true, devices: true, listing: true },

    async getUser(userId) {
      const r = await run('getUser', [userId]);
      const head = r[0];
      return {
        factors: r.filter((row) => row.id !== null && row.id !== undefined).map(toFactor),
        attempts: { failures: Number(head?.a_failures ?? 0), lockedUntil: toTime(head?.a_locked_until) },
        recoveryCodes: Number(head?.a_codes ?? 0),
      };
    },

    advanceCounter: (userId, factorId, counter, now) => codesLeft('advanceCounter', [userId, factorId, counter, now]),
    renameFactor: async (userId, factorId, label) => done(await run('renameFactor', [userId, factorId, label])),
    resealFactor: async (userId, factorId, expected, sealed) => done(await run('resealFactor', [userId, factorId, expected, sealed])),

    async removeFactor(userId, factorId) {
      const row = await first('removeFactor', [userId, factorId]);
      return { removed: isTrue(row?.removed), disabled: isTrue(row?.disabled) };
    },

    consumeRecoveryCode: (userId, digest) => codesLeft('consumeRecoveryCode', [userId, digest]),

    async putCode(c, cooldownMs) {
      const row = await first('putCode', [c.userId, c.id, c.digest, c.createdAt, c.expiresAt, c.attemptsLeft, cooldownMs]);
      return isTrue(row?.ok) ? { ok: true } : { ok: false, blockedSince: Number(row?.since ?? c.createdAt) };
    },

    deleteCode: async (userId, id) => done(await run('deleteCode', [userId, id])),

    async putChallenge(c) {
      await run('putChallenge', [c.id, c.userId, c.createdAt, c.expiresAt, c.attemptsLeft]);
    },

    async spendChallenge(id, now) {
      const row = await first('spendChallenge', [id, now]);
      return row === undefined ? null : toChallenge(row);
    },

    deleteChallenge: async (id) => done(await run('deleteChallenge', [id])),

    async putDevice(d) {
      await run('putDevice', [d.userId, d.id, d.label, d.createdAt, d.expiresAt, d.lastSeenAt]);
    },

    async touchDevice(userId, id, now) {
      const row = await first('touchDevice', [userId, id, now]);
      return row === undefined ? null : toDevice(row);
    },

    listDevices: async (userId, now) => (await run('listDevices', [userId, now])).map(toDevice),
    revokeDevice: async (userId, id) => done(await run('revokeDevice', [userId, id])),
    revokeAllDevices: (userId) => counted('revokeAllDevices', [userId]),

    async listEnrolled({ cursor, limit }) {
      // One row more than the page tells whether another page follows.
      const r = await run('listEnrolled', [cursor, limit + 1]);
      const users = r.slice(0, limit).map(toEnrolled);
      return { users, cursor: r.length > limit ? (users[users.length - 1] as EnrolledUser).userId : null };
    },

    countEnrolled: () => counted('countEnrolled', []),
  };
}

/**
 * The store's `purgeExpired(now)`, one call of `run`.
 *
 * @param run - runs one statement
 * @returns `purgeExpired`, which checks `now` and answers how many rows went
 */
export function purgeExpiredWith(run: SharedRun): (now: number) => Promise<number> {
  return async (now) => {
    assertTime(now, 'now');
    const [row] = await run('purgeExpired', [now]);
    return Number(row?.n ?? 0);
  };
}

const utf8 = new TextDecoder();

/**
 * A text column's value. `pg` hands text over as strings; `mysql2` hands
 * `VARBINARY` over as bytes (a Buffer), which hold UTF-8.
 *
 * @param value - the column's value
 * @returns the text
 */
export function text(value: unknown): string {
  return value instanceof Uint8Array ? utf8.decode(value) : String(value);
}

/**
 * A boolean column's value: `true` from `pg`, `1` from `mysql2` (MySQL has no
 * boolean type).
 *
 * @param value - the column's value
 * @returns whether it is true
 */
export function isTrue(value: unknown): boolean {
  return Number(value) === 1;
}

/** A `bigint` time column, which comes back as a string from `pg` (and `mysql2` with `bigNumberStrings`) and as a number otherwise. */
function toTime(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * A factor row (the factor columns, by name) as a record.
 *
 * @param row - the row
 * @returns the record
 */
export function toFactor(row: Row): FactorRecord {
  return {
    id: text(row.id),
    userId: text(row.user_id),
    kind: text(row.kind),
    label: text(row.label),
    state: text(row.state) === 'active' ? 'active' : 'pending',
    secret: text(row.secret),
    counter: Number(row.counter),
    createdAt: Number(row.created_at),
    expiresAt: toTime(row.expires_at),
    lastUsedAt: toTime(row.last_used_at),
    meta: text(row.meta),
  };
}

/** The columns that challenges, codes and devices all have. */
function owned(row: Row): { id: string; userId: string; createdAt: number; expiresAt: number } {
  return { id: text(row.id), userId: text(row.user_id), createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
}

function toDevice(row: Row): DeviceRecord {
  return { ...owned(row), label: text(row.label), lastSeenAt: toTime(row.last_seen_at) };
}

/**
 * A code row as a record.
 *
 * @param row - the row, with `attempts_left` as it stands after the call
 * @returns the record
 */
export function toCode(row: Row): CodeRecord {
  return { ...owned(row), digest: text(row.digest), attemptsLeft: Number(row.attempts_left) };
}

function toChallenge(row: Row): ChallengeRecord {
  return { ...owned(row), attemptsLeft: Number(row.attempts_left) };
}

/** `kinds` is a SQL array (`array_agg`) or comma-separated text (`GROUP_CONCAT`); kinds hold no comma. */
function toEnrolled(row: Row): EnrolledUser {
  return {
    userId: text(row.user_id),
    factors: Number(row.n),
    kinds: Array.isArray(row.kinds) ? row.kinds.map(text) : text(row.kinds).split(','),
    lastUsedAt: toTime(row.last_used_at),
    failures: Number(row.failures),
  };
}

/**
 * The reservation columns `r_failures`, `r_locked_until`, `r_allowed` as a reservation.
 *
 * @param row - the row
 * @param schedule - the schedule it was reserved under
 * @returns the reservation
 */
export function toReservation(row: Row, schedule: ThrottleSchedule): AttemptReservation {
  const failures = Number(row.r_failures);
  return { allowed: isTrue(row.r_allowed), failures, lockedUntil: toTime(row.r_locked_until), suspended: failures >= schedule.suspendAfter };
}

/**
 * 32-bit FNV-1a of `value` as 8 hex digits: tells statement texts apart in
 * names and comments.
 *
 * @param value - the text
 * @returns the digest
 */
export function fnv1a(value: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
