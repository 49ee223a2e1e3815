import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresStore, postgresSchemaSql, type PostgresClient, type PostgresStore } from '../../src/adapters/postgres.js';
import { isMfaError } from '../../src/errors.js';
import { runStoreConformance } from '../../src/testing/index.js';
import { pgUrl, skipReason, uniquePrefix } from './helpers.js';
import { postgresRawDump, postgresStoreCases } from './postgres-cases.js';

const T = 1_767_225_600_000;
const SCHEDULE = { locks: [0, 0, 1000], suspendAfter: 10 };

/** Counts the statements a store sends: one call of `query` is one round trip. */
function countingClient(inner: PostgresClient): PostgresClient & { calls: number } {
  const counted = {
    calls: 0,
    query(...args: Parameters<PostgresClient['query']>) {
      counted.calls++;
      return inner.query(...args);
    },
  };
  return counted;
}

describe.skipIf(pgUrl === '')(`Postgres adapter on PostgreSQL${skipReason ? ` (${skipReason})` : ''}`, () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix('pg');

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: pgUrl, max: 10 });
    pool.on('error', () => {}); // idle connections dropped by the server
    store = createPostgresStore(pool, { tablePrefix: prefix });
    await store.migrate();
  });
  afterAll(async () => {
    await pool?.end();
  });

  // The parallel cases run here on 10 real connections, so the row locks,
  // not a single connection, are what serialise them.
  describe('conformance kit, named prepared statements', () => {
    runStoreConformance({ describe, test, createStore: () => store, rawDump: () => postgresRawDump(pool, prefix) });
  });
  describe('conformance kit, plain statements', () => {
    const plain = (): PostgresStore => createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: false });
    runStoreConformance({ describe, test, createStore: plain, rawDump: () => postgresRawDump(pool, prefix) });
  });
  describe('shared cases, named prepared statements', () => postgresStoreCases(() => store, { concurrent: true }));
  describe('shared cases, plain statements', () => {
    let plain: PostgresStore;
    beforeAll(() => {
      plain = createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: false });
    });
    postgresStoreCases(() => plain, { concurrent: true });
  });

  test('every method is one statement: a right TOTP code costs 2 round trips, a wrong one 1', async () => {
    const client = countingClient(pool);
    const s = createPostgresStore(client, { tablePrefix: prefix });
    const u = `rt-${crypto.randomUUID()}`;
    const f = { id: 'f1', userId: u, kind: 'totp', label: 'phone', state: 'pending' as const, secret: 's', counter: -1, createdAt: T, expiresAt: T + 1000, lastUsedAt: null, meta: '' };
    const digest = 'ab'.repeat(32);
    const steps: [string, () => Promise<unknown>][] = [
      ['putPendingFactor', () => s.putPendingFactor(f, { now: T, maxFactors: 8, replace: false })],
      ['beginAttempt pending', () => s.beginAttempt(u, 'pending', T, SCHEDULE)],
      ['activateFactor', () => s.activateFactor(u, 'f1', { counter: 1, now: T, meta: '{}', recovery: { digests: [digest], sealed: null } })],
      ['beginAttempt', () => s.beginAttempt(u, 'active', T, SCHEDULE)],
      ['advanceCounter', () => s.advanceCounter(u, 'f1', 2, T)],
      ['refundAttempt', () => s.refundAttempt(u, SCHEDULE)],
      ['consumeRecoveryCode', () => s.consumeRecoveryCode(u, digest)],
      ['replaceRecoveryCodes', () => s.replaceRecoveryCodes(u, { digests: [digest], sealed: null })],
      ['getUser', () => s.getUser(u)],
      ['renameFactor', () => s.renameFactor(u, 'f1', 'work')],
      ['resealFactor', () => s.resealFactor(u, 'f1', 's', 't')],
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

  test('with prepared statements on, each method is sent as a named statement that pg prepares once per connection', async () => {
    const sent: unknown[] = [];
    const s = createPostgresStore({ query: (q: unknown, v?: unknown[]) => (sent.push(q), pool.query(q as string, v)) }, { tablePrefix: prefix });
    await s.getUser('someone');
    await s.getUser('someone else');
    expect(sent).toHaveLength(2);
    const [a, b] = sent as { name: string; text: string }[];
    expect(a?.name).toMatch(/^mfakit_getUser_[0-9a-f]{8}$/);
    expect(b?.name).toBe(a?.name);
    const other = createPostgresStore({ query: (q: unknown, v?: unknown[]) => (sent.push(q), pool.query(q as string, v)) }, { tablePrefix: `${prefix}x` });
    await other.migrate();
    await other.getUser('someone');
    expect((sent.at(-1) as { name: string }).name).not.toBe(a?.name);
  });

  test('a missing table rejects with the driver error unchanged (SQLSTATE 42P01)', async () => {
    const s = createPostgresStore(pool, { tablePrefix: uniquePrefix('none') });
    await expect(s.getUser('u')).rejects.toMatchObject({ code: '42P01' });
  });

  test('the raw tables hold sealed secrets and digests only', async () => {
    const u = `dump-${crypto.randomUUID()}`;
    await store.putPendingFactor({ id: 'f1', userId: u, kind: 'totp', label: 'phone', state: 'pending', secret: 'v1.k1.SEALED', counter: -1, createdAt: T, expiresAt: T + 1000, lastUsedAt: null, meta: '{}' }, { now: T, maxFactors: 8, replace: false });
    const dump = await postgresRawDump(pool, prefix);
    expect(dump).toContain(u);
    expect(dump).toContain('v1.k1.SEALED');
  });

  test('migrate is idempotent and safe from concurrent callers', async () => {
    const p = uniquePrefix('mig');
    const stores = Array.from({ length: 4 }, () => createPostgresStore(pool, { tablePrefix: p }));
    await Promise.all(stores.map((s) => s.migrate()));
    await stores[0]!.migrate();
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name LIKE $1`, [`${p}%`]);
    expect(rows[0]?.n).toBe(6);
  });

  test('the SQL of postgresSchemaSql creates the tables that the store uses', async () => {
    const p = uniquePrefix('ddl');
    await pool.query(postgresSchemaSql({ tablePrefix: p }));
    const s = createPostgresStore(pool, { tablePrefix: p });
    const u = `ddl-${crypto.randomUUID()}`;
    const r = await s.putPendingFactor({ id: 'f1', userId: u, kind: 'totp', label: 'phone', state: 'pending', secret: 's', counter: -1, createdAt: 1, expiresAt: 2, lastUsedAt: null, meta: '' }, { now: 1, maxFactors: 8, replace: false });
    expect(r.ok).toBe(true);
    expect((await s.getUser(u)).factors[0]?.expiresAt).toBe(2);
  });

  test('purgeExpired drops expired challenges, codes and pending factors only', async () => {
    const u = `purge-${crypto.randomUUID()}`;
    const id = (c: string): string => c.repeat(64);
    await store.putPendingFactor({ id: 'f1', userId: u, kind: 'totp', label: 'phone', state: 'pending', secret: 's', counter: -1, createdAt: 100, expiresAt: 200, lastUsedAt: null, meta: '' }, { now: 100, maxFactors: 8, replace: false });
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

describe('createPostgresStore options', () => {
  const client = { query: async () => ({ rows: [] }) };
  test.each([['x-y'], [''], ['1abc'], ['a"; DROP TABLE users; --'], ['a'.repeat(41)]])('tablePrefix %j is refused', (p) => {
    let caught: unknown;
    try {
      createPostgresStore(client, { tablePrefix: p });
    } catch (e) {
      caught = e;
    }
    expect(isMfaError(caught, 'INVALID_CONFIG')).toBe(true);
  });
  test('a bad schema, a non-boolean preparedStatements and a client without query are refused', () => {
    expect(() => createPostgresStore(client, { schema: 'public.x' })).toThrow(/schema/);
    expect(() => createPostgresStore(client, { preparedStatements: 'yes' as never })).toThrow(/preparedStatements/);
    expect(() => createPostgresStore({} as never)).toThrow(/query/);
  });
  test('the store has the v2 manifest and its own methods', () => {
    const s = createPostgresStore(client);
    expect(s.supports).toEqual({ oneTime: true, devices: true, listing: true });
    expect(typeof s.migrate).toBe('function');
    expect(typeof s.purgeExpired).toBe('function');
  });
  test('the build ships postgresSchemaSql() with the defaults as dist/postgres-schema.sql', () => {
    expect(readFileSync(new URL('../../dist/postgres-schema.sql', import.meta.url), 'utf8')).toBe(postgresSchemaSql());
  });
});
