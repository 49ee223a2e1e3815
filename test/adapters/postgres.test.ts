import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresStore, postgresSchemaSql, type PostgresStore } from '../../src/adapters/postgres.js';
import { pgUrl, skipReason, uniquePrefix } from './helpers.js';
import { postgresRawDump, postgresStoreCases } from './postgres-cases.js';
import { conformanceRuns, countingClient, optionCases, purgeExpiredCases, roundTripCases, T } from './sql-cases.js';

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
  conformanceRuns({
    'named prepared statements': () => store,
    'plain statements': () => createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: false }),
  }, () => postgresRawDump(pool, prefix));
  describe('shared cases, named prepared statements', () => postgresStoreCases(() => store, { concurrent: true }));
  describe('shared cases, plain statements', () => {
    let plain: PostgresStore;
    beforeAll(() => {
      plain = createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: false });
    });
    postgresStoreCases(() => plain, { concurrent: true });
  });

  roundTripCases(() => {
    const client = countingClient(pool, ['query']);
    return { store: createPostgresStore(client, { tablePrefix: prefix }), calls: () => client.calls };
  });
  purgeExpiredCases(() => store);

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
});

describe('createPostgresStore options', () => {
  const client = { query: async () => ({ rows: [] }) };
  optionCases((opts) => createPostgresStore(client, opts));
  test('a bad schema, a non-boolean preparedStatements and a client without query are refused', () => {
    expect(() => createPostgresStore(client, { schema: 'public.x' })).toThrow(/schema/);
    expect(() => createPostgresStore(client, { preparedStatements: 'yes' as never })).toThrow(/preparedStatements/);
    expect(() => createPostgresStore({} as never)).toThrow(/query/);
  });
  test('the build ships postgresSchemaSql() with the defaults as dist/postgres-schema.sql', () => {
    expect(readFileSync(new URL('../../dist/postgres-schema.sql', import.meta.url), 'utf8')).toBe(postgresSchemaSql());
  });
});
