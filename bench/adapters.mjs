// `mfa.verify` through each store adapter, 8 concurrent clients.
//
//   node bench/adapters.mjs            (npm run bench:adapters)
//   node bench/adapters.mjs --quick    fewer operations, for a smoke check
//
// Uses MFAKIT_PG_URL / MFAKIT_REDIS_URL when set; otherwise starts throwaway
// servers with scripts/services.sh and stops them at the end. Each client is
// one app server: its own createMfa, its own user and, for Redis, its own
// connection (Postgres: one pool of 8). Two cases per adapter:
// - right code: getFactor, reserveAttempt, claimStep, clearFailures,
//   countRecoveryCodes (5 store calls); each client's clock moves one step per call;
// - wrong code: getFactor, reserveAttempt (2 store calls), with 100 free
//   failures and at most 90 calls per user, so nothing locks and every call checks the code.
// Codes are computed before timing. Latency is per call, p50 and p99.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const CLIENTS = 8;
const OPS = quick ? 800 : 8000; // per case and adapter, spread over the clients
const WARMUP = quick ? 80 : 400;

if (!existsSync(join(root, 'dist/postgres.js'))) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}
const { createMfa, MemoryStore, generateTotp } = await import('../dist/index.js');
const { createPostgresStore } = await import('../dist/postgres.js');
const { createRedisStore } = await import('../dist/redis.js');
const pg = (await import('pg')).default;
const { createClient } = await import('redis');

const T0 = 1_767_225_600_000;
const secretKeys = { current: 'k1', keys: { k1: new Uint8Array(32).fill(3) } };
const pepper = 'bench-pepper';
const unthrottled = { freeFailures: 100, suspendAfter: 100 };

// ---------------------------------------------------------------------------
// Servers

let stopServices = () => {};
let pgUrl = process.env.MFAKIT_PG_URL ?? '';
let redisUrl = process.env.MFAKIT_REDIS_URL ?? '';
if (pgUrl === '' || redisUrl === '') {
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-'));
  const env = { ...process.env, MFAKIT_SERVICES_DIR: dir, MFAKIT_PG_PORT: String(await freePort()), MFAKIT_REDIS_PORT: String(await freePort()), MFAKIT_SERVICES_OWNER_PID: String(process.pid) };
  const script = join(root, 'scripts/services.sh');
  try {
    execFileSync(script, ['start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const vars = Object.fromEntries(readFileSync(join(dir, 'services.env'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    pgUrl = vars.MFAKIT_PG_URL;
    redisUrl = vars.MFAKIT_REDIS_URL;
    stopServices = () => {
      execFileSync(script, ['stop'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`services.sh could not start the servers (${err.message}); measuring MemoryStore only\n`);
    pgUrl = '';
    redisUrl = '';
  }
}

// ---------------------------------------------------------------------------
// Adapters: each yields one store per client and a cleanup.

const adapters = [
  {
    name: 'MemoryStore',
    async open() {
      const store = new MemoryStore();
      return { stores: Array.from({ length: CLIENTS }, () => store), close: async () => {} };
    },
  },
];
if (pgUrl !== '') {
  adapters.push({
    name: 'Postgres (pg Pool, 8 connections)',
    async open() {
      const pool = new pg.Pool({ connectionString: pgUrl, max: CLIENTS });
      pool.on('error', () => {});
      const tablePrefix = `bench_${process.pid}_`;
      const store = createPostgresStore(pool, { tablePrefix });
      await store.migrate();
      const close = async () => {
        for (const t of ['factors', 'recovery_sets', 'attempts', 'challenges']) await pool.query(`DROP TABLE IF EXISTS "${tablePrefix}${t}"`);
        await pool.end();
      };
      return { stores: Array.from({ length: CLIENTS }, () => store), close };
    },
  });
}
if (redisUrl !== '') {
  adapters.push({
    name: 'Redis (redis v5, 8 connections)',
    async open() {
      const clients = await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          const c = createClient({ url: redisUrl, disableOfflineQueue: true });
          c.on('error', () => {});
          return c.connect();
        }),
      );
      const keyPrefix = `bench:${process.pid}:`;
      const close = async () => {
        await clients[0].sendCommand(['EVAL', "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0", '0', `${keyPrefix}*`]);
        for (const c of clients) c.destroy();
      };
      return { stores: clients.map((c) => createRedisStore(c, { keyPrefix })), close };
    },
  });
}

// ---------------------------------------------------------------------------
// Measurement

/**
 * One client: enrolled users, its own clock, and the calls it will make. The
 * wrong-code case spreads its calls over users 90 at a time, under the 100
 * failures that suspend a factor, with every failure free of lock.
 */
async function prepareClient(store, index, right, ops) {
  let now = T0;
  const mfa = createMfa({ store, issuer: 'Bench', secretKeys, pepper, now: () => now, ...(right ? {} : { policy: { throttle: unthrottled } }) });
  const perUser = right ? ops : 90;
  const calls = [];
  for (let u = 0; u * perUser < ops; u++) {
    now = T0;
    const userId = `bench-${process.pid}-${right ? 'r' : 'w'}-${index}-${u}`;
    await store.deleteUser(userId);
    const { secret } = await mfa.beginEnrollment(userId, { account: `${userId}@example.com` });
    const confirmed = await mfa.confirmEnrollment(userId, generateTotp(secret, { now }));
    if (!confirmed.ok) throw new Error(`enrolment failed: ${confirmed.reason}`);
    for (let i = 1; i <= perUser && calls.length < ops; i++) {
      const at = T0 + i * 30_000;
      const good = generateTotp(secret, { now: at });
      calls.push({ userId, at, code: right ? good : good === '000000' ? '000001' : '000000' });
    }
  }
  return {
    async run(from, to, latencies) {
      for (let i = from; i < to; i++) {
        const { userId, at, code } = calls[i];
        now = at;
        const start = performance.now();
        const r = await mfa.verify(userId, code);
        const ms = performance.now() - start;
        if (r.ok !== right || (!right && r.reason !== 'mismatch')) throw new Error(`unexpected result ${JSON.stringify(r)}`);
        latencies?.push(ms);
      }
    },
  };
}

async function measure(stores, right) {
  const perClient = Math.ceil(OPS / CLIENTS);
  const clients = await Promise.all(stores.map((s, i) => prepareClient(s, i, right, perClient + WARMUP)));
  await Promise.all(clients.map((c) => c.run(0, WARMUP)));
  const latencies = [];
  const start = performance.now();
  await Promise.all(clients.map((c) => c.run(WARMUP, WARMUP + perClient, latencies)));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { ops: latencies.length, perSecond: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99) };
}

const rows = [];
try {
  for (const adapter of adapters) {
    const { stores, close } = await adapter.open();
    try {
      for (const right of [true, false]) {
        const r = await measure(stores, right);
        rows.push([adapter.name, right ? 'right code' : 'wrong code', r]);
      }
    } finally {
      await close();
    }
  }
} finally {
  stopServices();
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const lines = [
  `mfa.verify, ${CLIENTS} concurrent clients, Node ${process.versions.node}`,
  '',
  '| adapter | case | verifies | verifies/s | p50 ms | p99 ms |',
  '|---|---|---:|---:|---:|---:|',
  ...rows.map(([name, kind, r]) => `| ${name} | ${kind} | ${fmt(r.ops)} | ${fmt(r.perSecond)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (pgUrl === '' || redisUrl === '') process.stdout.write('\n(Postgres/Redis not measured: servers unavailable)\n');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
