import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../src/adapters/postgres.js';
import { uniquePrefix } from './helpers.js';
import { runStoreConformance } from '../../src/testing/index.js';
import { postgresRawDump, postgresStoreCases } from './postgres-cases.js';

// PostgreSQL through PgBouncer in transaction pooling mode: consecutive
// statements of one client connection may run on different server
// connections, so nothing may span two statements, and (PgBouncer before
// 1.21, as Debian 12 ships) named prepared statements cannot be used.
const pgbouncerUrl = inject('pgbouncerUrl');
const reason = 'no PgBouncer: apt-get install -y pgbouncer, or set MFAKIT_PGBOUNCER_URL';

if (process.env.CI && pgbouncerUrl === '') {
  test('PgBouncer is available under CI', () => {
    expect.fail('CI is set, so the PgBouncer suite may not skip: install pgbouncer or set MFAKIT_PGBOUNCER_URL');
  });
}

describe.skipIf(pgbouncerUrl === '')(`Postgres adapter through PgBouncer, transaction pooling${pgbouncerUrl === '' ? ` (${reason})` : ''}`, () => {
  let pool: pg.Pool;
  let store: PostgresStore;
  const prefix = uniquePrefix('pgb');

  beforeAll(async () => {
    // More client connections than PgBouncer has server connections (8), so
    // statements of one client connection really move between servers.
    pool = new pg.Pool({ connectionString: pgbouncerUrl, max: 16 });
    pool.on('error', () => {});
    store = createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: false });
    await store.migrate();
  });
  afterAll(async () => {
    await pool?.end();
  });

  test('the pooler is PgBouncer in transaction mode', async () => {
    const admin = new pg.Client({ connectionString: pgbouncerUrl.replace(/\/[^/]*$/, '/pgbouncer') });
    await admin.connect();
    try {
      const { rows } = await admin.query({ text: 'SHOW CONFIG', queryMode: 'simple' } as pg.QueryConfig);
      const mode = (rows as { key: string; value: string }[]).find((r) => r.key === 'pool_mode');
      expect(mode?.value).toBe('transaction');
    } finally {
      await admin.end();
    }
  });

  runStoreConformance({ describe, test, createStore: () => store, rawDump: () => postgresRawDump(pool, prefix) });
  postgresStoreCases(() => store, { concurrent: true });
});
