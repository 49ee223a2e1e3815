// One app server of the multi-process race test: its own connection pool and
// its own createMfa over the shared database, driven by the parent over IPC.
// Imports the built package (dist/), exactly as a host would.
import pg from 'pg';
import { createClient, createCluster } from 'redis';
import { createMfa } from '../../dist/index.js';
import { createMysqlStore } from '../../dist/mysql.js';
import { createPostgresStore } from '../../dist/postgres.js';
import { createRedisStore } from '../../dist/redis.js';

const { MFAKIT_RACE_KIND: kind, MFAKIT_RACE_URL: url, MFAKIT_RACE_PREFIX: prefix, MFAKIT_RACE_KEY: key, MFAKIT_RACE_PEPPER: pepper } = process.env;

let close;
let store;
if (kind === 'postgres' || kind === 'pgbouncer') {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  // PgBouncer in transaction pooling mode cannot keep named prepared statements.
  store = createPostgresStore(pool, { tablePrefix: prefix, preparedStatements: kind === 'postgres' });
  close = () => pool.end();
} else if (kind === 'mysql') {
  const { default: mysql } = await import('mysql2/promise');
  const pool = mysql.createPool({ uri: url, connectionLimit: 4 });
  store = createMysqlStore(pool, { tablePrefix: prefix });
  close = () => pool.end();
} else {
  const client = kind === 'redis-cluster'
    ? createCluster({ rootNodes: url.split(',').map((u) => ({ url: u })), defaults: { disableOfflineQueue: true } })
    : createClient({ url, disableOfflineQueue: true });
  client.on('error', () => {});
  await client.connect();
  store = createRedisStore(client, { keyPrefix: prefix });
  close = async () => client.destroy();
}

// The shared fixed clock: every request carries the time it runs at.
let clock = 0;
const mfa = createMfa({ store, issuer: 'Race', secretKeys: { current: 'k1', keys: { k1: key } }, pepper, now: () => clock });

process.on('message', async (msg) => {
  if (msg.op === 'close') {
    await close();
    process.exit(0);
  }
  if (msg.op === 'verify') {
    clock = msg.now;
    const settled = await Promise.allSettled(msg.codes.map((code) => mfa.verify(msg.userId, code)));
    const results = settled.map((s) => (s.status === 'fulfilled' ? s.value : { ok: false, reason: `error:${s.reason?.code ?? s.reason}` }));
    process.send({ id: msg.id, results });
  }
});
process.send({ ready: true });
