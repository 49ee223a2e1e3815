import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresStore, postgresSchemaSql, type PostgresStore } from '../../src/adapters/postgres.js';
import { isMfaError } from '../../src/errors.js';
import { runStoreConformance } from '../../src/testing/index.js';
import { pgUrl, skipReason, uniquePrefix } from './helpers.js';

describe.skipIf(pgUrl === '')(`Postgres adapter on a real server${skipReason ? ` (${skipReason})` : ''}`, () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix('conf');

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: pgUrl, max: 10 });
    pool.on('error', () => {}); // idle connections dropped by the server
    store = createPostgresStore(pool, { tablePrefix: prefix });
    await store.migrate();
  });
  afterAll(async () => {
    await pool?.end();
  });

  // The kit's parallel cases run here on 10 real connections, so the row
  // locks, not a single connection, are what serialise them.
  runStoreConformance({ describe, test, createStore: () => store });

  test('migrate is idempotent and safe from concurrent callers', async () => {
    const p = uniquePrefix('mig');
    const stores = Array.from({ length: 4 }, () => createPostgresStore(pool, { tablePrefix: p }));
    await Promise.all(stores.map((s) => s.migrate()));
    await stores[0]!.migrate();
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name LIKE $1`, [`${p}%`]);
    expect(rows[0]?.n).toBe(4);
  });

  test('the SQL of postgresSchemaSql creates the same tables as migrate()', async () => {
    const p = uniquePrefix('ddl');
    await pool.query(postgresSchemaSql({ tablePrefix: p }));
    const s = createPostgresStore(pool, { tablePrefix: p });
    await s.putPendingFactor({ userId: 'u', state: 'pending', secret: 'x', createdAt: 1, expiresAt: 2, lastStep: -1 });
    expect((await s.getFactor('u'))?.expiresAt).toBe(2);
  });

  test('times and steps beyond 2^32 round-trip exactly', async () => {
    const u = `big-${Date.now()}`;
    const t = 4_102_444_800_000; // 2100-01-01
    await store.putPendingFactor({ userId: u, state: 'pending', secret: 's', createdAt: t, expiresAt: t + 1, lastStep: -1 });
    expect(await store.activateFactor(u, 's', 2 ** 40, t, [])).toBe(true);
    expect(await store.claimStep(u, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(await store.getFactor(u)).toEqual({ userId: u, state: 'active', secret: 's', createdAt: t, expiresAt: null, lastStep: Number.MAX_SAFE_INTEGER });
  });

  test('purgeExpired drops expired challenges and pending factors only', async () => {
    const u = `purge-${Date.now()}`;
    await store.putPendingFactor({ userId: u, state: 'pending', secret: 's', createdAt: 100, expiresAt: 200, lastStep: -1 });
    const ch = { userId: u, purpose: 'p', digest: 'd', destination: '', createdAt: 100, expiresAt: 200, attemptsLeft: 5 };
    await store.putChallenge(`${u}-c`, ch, 0);
    await store.putChallenge(`${u}-live`, { ...ch, expiresAt: 10_000_000_000_000 }, 0);
    expect(await store.purgeExpired(300)).toBeGreaterThanOrEqual(2);
    expect(await store.getFactor(u)).toBeNull();
    expect(await store.deleteChallenge(`${u}-c`)).toBe(false);
    expect(await store.deleteChallenge(`${u}-live`)).toBe(true);
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
  test('a bad schema and a client without query are refused', () => {
    expect(() => createPostgresStore(client, { schema: 'public.x' })).toThrow(/schema/);
    expect(() => createPostgresStore({} as never)).toThrow(/query/);
  });
  test('the build ships postgresSchemaSql() with the defaults as dist/postgres-schema.sql', () => {
    expect(readFileSync(new URL('../../dist/postgres-schema.sql', import.meta.url), 'utf8')).toBe(postgresSchemaSql());
  });
});
