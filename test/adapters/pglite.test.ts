import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../src/adapters/postgres.js';
import { runStoreConformance } from '../../src/testing/index.js';

// PGlite is PostgreSQL compiled to WASM: the Postgres adapter's SQL runs on a
// real Postgres engine here, with no server. One connection, so the parallel
// cases of the kit are serialised; the real-server suite covers true concurrency.
let db: PGlite;
let store: PostgresStore;

beforeAll(async () => {
  db = new PGlite();
  store = createPostgresStore(db);
  await store.migrate();
  await store.migrate(); // idempotent
});
afterAll(async () => {
  await db?.close();
});

runStoreConformance({ describe, test, createStore: () => store });

describe('PGlite specifics', () => {
  test('a table prefix and schema are used for every table', async () => {
    await db.query('CREATE SCHEMA IF NOT EXISTS auth');
    const other = createPostgresStore(db, { tablePrefix: 'x_', schema: 'auth' });
    await other.migrate();
    await other.putPendingFactor({ userId: 'u', state: 'pending', secret: 's', createdAt: 1, expiresAt: 10, lastStep: -1 });
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM auth.x_factors');
    expect(rows[0]?.n).toBe(1);
    expect(await store.getFactor('u')).toBeNull();
  });
});
