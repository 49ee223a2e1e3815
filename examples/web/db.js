// The app's own data — users, password hashes, the admin flag, the
// require-MFA setting — in the same database as mfakit's store.
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { createPostgresStore } from 'mfakit/postgres';
import { createRedisStore } from 'mfakit/redis';

/**
 * @typedef {{ query(text: string, values?: unknown[]): Promise<{ rows: any[] }> }} Sql
 * @typedef {{ id: string, email: string, isAdmin: boolean, emailVerified: boolean, createdAt: number }} User
 * @typedef {{ required: boolean, graceEndsAt: number | null }} Policy
 */

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS app_users (
     id text PRIMARY KEY,
     email text NOT NULL UNIQUE,
     password_hash text NOT NULL,
     is_admin boolean NOT NULL,
     email_verified boolean NOT NULL DEFAULT false,
     created_at bigint NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS app_settings (name text PRIMARY KEY, value jsonb NOT NULL)`,
];

/**
 * Opens the database and mfakit's store: PGlite in `dataDir` by default;
 * `databaseUrl` puts both on a PostgreSQL server; `redisUrl` puts mfakit's
 * store on Redis while the app's tables stay where they are.
 * @param {{ dataDir: string, databaseUrl?: string | undefined, redisUrl?: string | undefined }} opts
 */
export async function openDatabase({ dataDir, databaseUrl, redisUrl }) {
  /** @type {Array<() => Promise<unknown>>} */
  const closers = [];
  /** @type {Sql} */
  let sql;
  if (databaseUrl) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: databaseUrl });
    closers.push(() => pool.end());
    sql = pool;
  } else {
    const lite = new PGlite(join(dataDir, 'pglite'));
    await lite.waitReady;
    closers.push(() => lite.close());
    sql = lite;
  }
  for (const statement of SCHEMA) await sql.query(statement);

  let store;
  if (redisUrl) {
    const { createClient } = await import('redis');
    const client = await createClient({ url: redisUrl, disableOfflineQueue: true }).connect();
    closers.unshift(() => client.quit());
    store = createRedisStore(client);
  } else {
    store = createPostgresStore(sql);
    await store.migrate();
  }
  return { sql, store, close: async () => { for (const close of closers) await close(); } };
}

/** @param {Sql} sql */
export function createUsers(sql) {
  /** @param {any} row @returns {User} */
  const toUser = (row) => ({ id: row.id, email: row.email, isAdmin: row.is_admin, emailVerified: row.email_verified, createdAt: Number(row.created_at) });
  const one = async (/** @type {string} */ where, /** @type {unknown} */ value) => {
    const { rows } = await sql.query(`SELECT * FROM app_users WHERE ${where} = $1`, [value]);
    return rows[0] ?? null;
  };
  return {
    /**
     * A new user, or null when the address is taken. The first user is the administrator.
     * @param {{ email: string, password: string, now: number }} opts
     * @returns {Promise<User | null>}
     */
    async create({ email, password, now }) {
      const { rows } = await sql.query(
        `INSERT INTO app_users (id, email, password_hash, is_admin, created_at)
         SELECT $1, $2, $3, NOT EXISTS (SELECT 1 FROM app_users), $4
         ON CONFLICT (email) DO NOTHING RETURNING *`,
        [randomUUID(), email, await hashPassword(password), now],
      );
      return rows[0] ? toUser(rows[0]) : null;
    },
    /** @param {string} id */
    async get(id) { const row = await one('id', id); return row && toUser(row); },
    /**
     * The user with this e-mail and password, or null (same work either way).
     * @param {string} email @param {string} password
     */
    async checkPassword(email, password) {
      const row = await one('email', email);
      const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
      return ok && row ? toUser(row) : null;
    },
    /** @param {string} id @param {string} password */
    async recheckPassword(id, password) {
      const row = await one('id', id);
      return row !== null && (await verifyPassword(password, row.password_hash));
    },
    async all() {
      const { rows } = await sql.query('SELECT * FROM app_users ORDER BY created_at, id LIMIT 1000');
      return rows.map(toUser);
    },
    /** @param {string} id */
    async markEmailVerified(id) { await sql.query('UPDATE app_users SET email_verified = true WHERE id = $1', [id]); },
  };
}

/** @param {Sql} sql */
export function createSettings(sql) {
  return {
    /** @returns {Promise<Policy>} */
    async policy() {
      const { rows } = await sql.query(`SELECT value FROM app_settings WHERE name = 'policy'`);
      return rows[0]?.value ?? { required: false, graceEndsAt: null };
    },
    /** @param {Policy} policy */
    async setPolicy(policy) {
      await sql.query(
        `INSERT INTO app_settings (name, value) VALUES ('policy', $1)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
        [JSON.stringify(policy)],
      );
    },
  };
}

// scrypt at OWASP's minimum cost (N = 2^17, r = 8, p = 1); the parameters are
// stored with each hash so they can be raised later.
const SCRYPT = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 };
const scryptAsync = /** @type {(p: string, s: Buffer, n: number, o: object) => Promise<Buffer>} */ (promisify(scrypt));

/** @param {string} password */
async function hashPassword(password) {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFKC'), salt, 32, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** @param {string} password @param {string} stored */
async function verifyPassword(password, stored) {
  const [, N, r, p, salt = '', hash = ''] = stored.split('$');
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

// Checked against when the e-mail is unknown, so both answers take as long.
/** @type {Promise<string> | undefined} */
let dummy;
const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex')));
