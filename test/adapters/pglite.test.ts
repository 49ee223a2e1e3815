import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../src/adapters/postgres.js';
import { isMfaError } from '../../src/errors.js';
import { runStoreConformance } from '../../src/testing/index.js';
import { postgresRawDump, postgresStoreCases } from './postgres-cases.js';
import { thrown } from './sql-cases.js';

// PGlite is PostgreSQL compiled to WASM: the Postgres adapter's SQL runs on a
// real Postgres engine here, with no server. One connection, so the parallel
// cases are serialised; the real-server suites cover true concurrency.
// PGlite has no named statements: the adapter recognises it and sends plain ones.
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

runStoreConformance({ describe, test, createStore: () => store, rawDump: () => postgresRawDump(db, 'mfakit_') });

describe('shared cases on PGlite', () => postgresStoreCases(() => store, { concurrent: false }));

describe('PGlite specifics', () => {
  test('preparedStatements: true is refused for PGlite with the fix in the message, before any query', () => {
    const caught = thrown(() => createPostgresStore(db, { preparedStatements: true }));
    expect(isMfaError(caught, 'INVALID_CONFIG')).toBe(true);
    expect((caught as Error).message).toMatch(/preparedStatements: false/);
  });

  test('a table prefix and schema are used for every table', async () => {
    await db.query('CREATE SCHEMA IF NOT EXISTS auth');
    const other = createPostgresStore(db, { tablePrefix: 'x_', schema: 'auth', preparedStatements: false });
    await other.migrate();
    const f = { id: 'f1', userId: 'u', kind: 'totp', label: 'phone', state: 'pending' as const, secret: 's', counter: -1, createdAt: 1, expiresAt: 10, lastUsedAt: null, meta: '' };
    await other.putPendingFactor(f, { now: 1, maxFactors: 8, replace: false });
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM auth.x_factors_v2');
    expect(rows[0]?.n).toBe(1);
    expect((await store.getUser('u')).factors).toEqual([]);
  });
});
