// The stateful layer through real stores: round trips per flow, and
// `mfa.verify` with 8 concurrent clients, beside mfakit 0.1 and better-auth.
//
//   node bench/adapters.mjs            (npm run bench:adapters; npm run bench runs it after bench/run.mjs)
//   node bench/adapters.mjs --quick    fewer verifies and rounds, every row, for a smoke check
//
// Servers. MFAKIT_PG_URL and MFAKIT_REDIS_URL set: those servers, plus
// MFAKIT_PGBOUNCER_URL and MFAKIT_REDIS_CLUSTER_NODES when set. Otherwise
// scripts/services.sh starts a throwaway PostgreSQL, Redis, 3-master Redis
// Cluster and PgBouncer (transaction pooling) on free loopback ports, and
// stops them at the end. A server that is missing leaves its rows out, saying why.
// MariaDB: MFAKIT_MYSQL_URL, else the throwaway server services.sh starts when
// `mariadbd` is installed.
//
// Stores. mfakit 0.2 (this tree's dist/): createMemoryStore(); Postgres with
// prepared (named) statements; Postgres through PgBouncer with
// `preparedStatements: false`; Redis; Redis Cluster (node-redis createCluster);
// MariaDB (mfakit/mysql over a mysql2/promise pool, one CALL per store method;
// mfakit 0.1 has no MySQL store, so that row has no 0.1 beside it).
// mfakit 0.1 (commit df8d565, the last 0.1 commit on main, extracted with
// `git archive` into a temporary directory, built there with tsup against this
// tree's node_modules and deleted at the end): MemoryStore, Postgres, Redis on
// the same servers. Tables and keys carry a per-run prefix; the tables are
// dropped and every user is deleted at the end.
//
// 1. Round trips per flow, counted with nothing else running: MemoryStore —
//    calls into the store; MariaDB — `query`/`execute` calls on the pool (each
//    is one CALL and one round trip); Postgres and PgBouncer — `query` calls on the pool
//    (the pool is wrapped; each is one statement and one round trip);
//    Redis and Cluster — `sendCommand` calls on the client (wrapped before the
//    store is made; an EVALSHA answered NOSCRIPT and re-sent as EVAL would
//    count 2). Counted after the warm-up of part 2 (statements prepared on
//    every connection, scripts loaded on every node) and one more untimed
//    user, then the median of 5 users. Flows: a right TOTP code, a wrong one, a malformed one, a recovery
//    code, confirmEnrollment (the first code), status; and whether the same
//    right code is accepted a second time.
//
// 2. `mfa.verify`, 8 concurrent clients. A client is one app server: its own
//    createMfa, its own user, its own injected clock. Postgres: one pg.Pool of 8
//    shared by the 8 clients (a store each); Redis: a connection per client;
//    Cluster: a createCluster per client. Two cases:
//    - right code: each call moves the client's clock one 30 s step, so every
//      code is a fresh one that must be accepted;
//    - wrong code: a code that matches no step of the window, under an
//      unthrottled schedule (0.2: `locks: [0]`; 0.1: `freeFailures: 100`), so
//      every call is checked and none is locked. Calls go in batches of at most
//      90 per client; between batches the failures are given back, untimed
//      (0.2: `store.refundAttempt` once per failure; 0.1: `store.clearFailures`),
//      so nobody reaches the suspension at 100.
//    A reference row times two `SELECT 1` per call on the same Postgres pool
//    with the same 8 clients and no mfakit: the ceiling of two round trips
//    from one Node process on this machine.
//    Codes are computed before each timed batch. verifies/s is timed calls over
//    the wall time of the timed batches; p50 and p99 are per call over all
//    clients. Every call's result is checked; one unexpected answer stops the run.
//    The machine may be small and shared, so every cell (store × version × case)
//    is measured in each of several rounds, interleaved (0.2 and 0.1 of one
//    store side by side, the order reversed every other round), after one
//    untimed warm-up of each cell. The tables show the median over the rounds;
//    0.2 ÷ 0.1 is the median of the per-round ratios.
//
// 3. better-auth's two-factor plugin (bench/peers/better-auth.mjs) on the same
//    PostgreSQL with 8 clients, run once between the middle rounds, so mfakit's
//    medians are taken from before and after it.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { freePort } from './free-port.mjs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const CLIENTS = 8;
const ROUNDS = quick ? 3 : 5;
const PER_CLIENT = quick ? 100 : 500; // timed verifies per client, per cell and round
const WARMUP = quick ? 30 : 90; // untimed verifies per client, per cell, before the first round
const BATCH = 90; // wrong codes per client between give-backs, under the 100 that suspend
const TRIP_SAMPLES = 5; // users whose round trips are counted, after one warm-up user
const BETTER_AUTH_OPS = quick ? 400 : 1200;
const V01_COMMIT = 'df8d565';
const STEP = 30_000;
const T0 = 1_767_225_600_000;
const RUN = `${process.pid}`;
const secretKeys = { current: 'k1', keys: { k1: new Uint8Array(32).fill(3) } };
const pepper = 'bench-pepper';

const command = `node bench/adapters.mjs${quick ? ' --quick' : ''}`;
const loadAtStart = loadavg();
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

if (!existsSync(join(root, 'dist/postgres.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const v2 = await import('../dist/index.js');
const v2pg = await import('../dist/postgres.js');
const v2redis = await import('../dist/redis.js');
const v2mysql = existsSync(join(root, 'dist/mysql.js')) ? await import('../dist/mysql.js') : null;
const pg = (await import('pg')).default;
const { createClient, createCluster } = await import('redis');
const { generateTotp } = v2;

const cleanups = []; // run in reverse at the end
const notes = [];

async function main() {
  const servers = await startServers();
  const v1 = await buildV01();

  // ---- Stores
  const libs = { v2: libV2(), ...(v1.lib ? { v1: v1.lib } : {}) };
  const targets = []; // { key, label, version, counted, open() }
  targets.push({ key: 'memory', label: 'MemoryStore', version: 'v2', counted: 'store calls', open: () => openMemory(libs.v2) });
  if (libs.v1) targets.push({ key: 'memory', label: 'MemoryStore', version: 'v1', counted: 'store calls', open: () => openMemory(libs.v1) });
  if (servers.pgUrl) {
    targets.push({ key: 'pg', label: 'Postgres (prepared)', version: 'v2', counted: 'statements', open: () => openPostgres(libs.v2, servers.pgUrl, servers.pgUrl, `bench_${RUN}_v2_`, {}) });
    if (libs.v1) targets.push({ key: 'pg', label: 'Postgres', version: 'v1', counted: 'statements', open: () => openPostgres(libs.v1, servers.pgUrl, servers.pgUrl, `bench_${RUN}_v1_`, {}) });
  }
  if (servers.pgbouncerUrl) {
    targets.push({ key: 'pgbouncer', label: 'Postgres via PgBouncer', version: 'v2', counted: 'statements', open: () => openPostgres(libs.v2, servers.pgbouncerUrl, servers.pgUrl, `bench_${RUN}_pgb_`, { preparedStatements: false }) });
  }
  if (servers.redisUrl) {
    targets.push({ key: 'redis', label: 'Redis', version: 'v2', counted: 'commands', open: () => openRedis(libs.v2, servers.redisUrl, `bench:${RUN}:v2:`) });
    if (libs.v1) targets.push({ key: 'redis', label: 'Redis', version: 'v1', counted: 'commands', open: () => openRedis(libs.v1, servers.redisUrl, `bench:${RUN}:v1:`) });
  }
  if (servers.mysqlUrl && v2mysql) {
    targets.push({ key: 'mysql', label: 'MariaDB', version: 'v2', counted: 'calls', open: () => openMysql(libs.v2, servers.mysqlUrl, `bench_${RUN}_my_`) });
  }
  if (servers.clusterNodes.length > 0) {
    targets.push({ key: 'cluster', label: 'Redis Cluster (3 masters)', version: 'v2', counted: 'commands', open: () => openCluster(libs.v2, servers.clusterNodes, `bench:${RUN}:c:`) });
  }
  for (const t of targets) {
    t.lib = libs[t.version];
    t.ctx = await t.open();
  }

  // ---- Clients, and one untimed warm-up of every cell (statements prepared, scripts loaded on every node)
  const cells = [];
  for (const right of [true, false]) {
    for (const t of targets) {
      cells.push({ t, right, clients: await makeClients(t, right), rounds: [] });
      // The ceiling of two round trips from this process: the same pool, 8 clients, no mfakit.
      if (right && t.version === 'v2' && t.key === 'pg') cells.push({ t, right, baseline: t.ctx.pool, clients: t.ctx.stores.map(() => null), rounds: [] });
    }
  }
  log(`warm-up: ${WARMUP} verifies per client in each of ${cells.length} cells`);
  for (const cell of cells) await runCell(cell, WARMUP);

  // ---- 1. Round trips, with nothing else running
  log('round trips');
  const trips = [];
  for (const t of targets) trips.push({ t, r: await roundTrips(t) });

  // ---- 2 and 3. Concurrent verifies, interleaved rounds

  let betterAuth = null;
  const betterAuthAfter = Math.ceil(ROUNDS / 2);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? cells : [...cells].reverse();
    for (const cell of order) {
      log(`round ${round + 1}/${ROUNDS}: ${cell.t.version} ${cell.t.label}, ${cell.baseline ? '2 × SELECT 1' : cell.right ? 'right code' : 'wrong code'}`);
      cell.rounds.push(await runCell(cell, PER_CLIENT));
    }
    if (round + 1 === betterAuthAfter) betterAuth = await runBetterAuth(servers.pgUrl);
  }

  print({ servers, v1, trips, cells, betterAuth });
}

// ---------------------------------------------------------------------------
// Servers

async function startServers() {
  const fromEnv = (k) => process.env[k] ?? '';
  if (fromEnv('MFAKIT_PG_URL') !== '' && fromEnv('MFAKIT_REDIS_URL') !== '') {
    const s = {
      pgUrl: fromEnv('MFAKIT_PG_URL'),
      redisUrl: fromEnv('MFAKIT_REDIS_URL'),
      pgbouncerUrl: fromEnv('MFAKIT_PGBOUNCER_URL'),
      clusterNodes: splitNodes(fromEnv('MFAKIT_REDIS_CLUSTER_NODES')),
      mysqlUrl: fromEnv('MFAKIT_MYSQL_URL'),
      source: 'MFAKIT_PG_URL / MFAKIT_REDIS_URL from the environment',
    };
    if (s.mysqlUrl === '') notes.push('MariaDB not measured: MFAKIT_MYSQL_URL is not set.');
    if (s.pgbouncerUrl === '') notes.push('PgBouncer not measured: MFAKIT_PGBOUNCER_URL is not set.');
    if (s.clusterNodes.length === 0) notes.push('Redis Cluster not measured: MFAKIT_REDIS_CLUSTER_NODES is not set.');
    return s;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-'));
  const ports = await distinctFreePorts(10);
  const env = {
    ...process.env,
    MFAKIT_SERVICES_DIR: dir,
    MFAKIT_PG_PORT: String(ports[0]),
    MFAKIT_REDIS_PORT: String(ports[1]),
    MFAKIT_PGBOUNCER_PORT: String(ports[2]),
    MFAKIT_REDIS_CLUSTER_PORTS: ports.slice(3, 6).join(','),
    MFAKIT_REDIS_CLUSTER_BUS_PORTS: ports.slice(6, 9).join(','),
    MFAKIT_MYSQL_PORT: String(ports[9]),
    MFAKIT_SERVICES_OWNER_PID: String(process.pid),
  };
  const script = join(root, 'scripts/services.sh');
  cleanups.push(() => {
    execFileSync(script, ['stop'], { env, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  log('starting PostgreSQL, Redis, Redis Cluster, PgBouncer and MariaDB (scripts/services.sh)');
  try {
    execFileSync(script, ['start'], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  } catch (err) {
    notes.push(`Postgres, PgBouncer, Redis and Redis Cluster not measured: scripts/services.sh start failed (${err.message.split('\n')[0]}).`);
    return { pgUrl: '', redisUrl: '', pgbouncerUrl: '', clusterNodes: [], mysqlUrl: '', source: 'none' };
  }
  const vars = Object.fromEntries(readFileSync(join(dir, 'services.env'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  if (!vars.MFAKIT_PGBOUNCER_URL) notes.push('PgBouncer not measured: services.sh did not start it (is pgbouncer installed?).');
  const mysqlUrl = process.env.MFAKIT_MYSQL_URL || (vars.MFAKIT_MYSQL_URL ?? '');
  if (!mysqlUrl) notes.push('MariaDB not measured: services.sh did not start it (is mariadb-server installed?).');
  return {
    pgUrl: vars.MFAKIT_PG_URL ?? '',
    redisUrl: vars.MFAKIT_REDIS_URL ?? '',
    pgbouncerUrl: vars.MFAKIT_PGBOUNCER_URL ?? '',
    clusterNodes: splitNodes(vars.MFAKIT_REDIS_CLUSTER_NODES ?? ''),
    mysqlUrl,
    source: 'throwaway servers from scripts/services.sh',
  };
}

const splitNodes = (s) => s.split(',').map((u) => u.trim()).filter((u) => u !== '');

// ---------------------------------------------------------------------------
// mfakit 0.1, built from git

async function buildV01() {
  const dir = mkdtempSync(join(tmpdir(), 'mfakit-v01-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    log(`building mfakit 0.1 (${V01_COMMIT}) in ${dir}`);
    execSync(`git -C '${root}' archive ${V01_COMMIT} | tar -x -C '${dir}'`, { stdio: ['ignore', 'ignore', 'pipe'] });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    execFileSync('npx', ['tsup'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    return { dir, lib: await loadV01(dir) };
  } catch (err) {
    const why = (err.stderr?.toString().trim().split('\n').slice(-3).join(' ') || err.message).slice(0, 300);
    notes.push(`mfakit 0.1 not measured: building ${V01_COMMIT} failed: ${why}`);
    log(`mfakit 0.1 build failed: ${why}`);
    return { dir, lib: null };
  }
}

// The two versions behind one face: the bench's calls differ only here.
function libV2() {
  const schedule = Object.freeze({ locks: Object.freeze([0]), suspendAfter: 100 });
  return {
    version: 'v2',
    name: 'mfakit 0.2',
    createMfa: (store, now) => v2.createMfa({ store, issuer: 'Bench', secretKeys, pepper, now, policy: { throttle: { locks: [0], suspendAfter: 100 } } }),
    memoryStore: () => v2.createMemoryStore(),
    createPostgresStore: (pool, o) => v2pg.createPostgresStore(pool, o),
    createRedisStore: (client, o) => v2redis.createRedisStore(client, o),
    createMysqlStore: (client, o) => v2mysql.createMysqlStore(client, o),
    // Gives a client's failures back: one refund per failure.
    async giveBack(store, userId, failures) {
      for (let i = 0; i < failures; i++) await store.refundAttempt(userId, schedule);
    },
  };
}

async function loadV01(dir) {
  const [index, postgres, redis] = await Promise.all(['index.js', 'postgres.js', 'redis.js'].map((f) => import(pathToFileURL(join(dir, 'dist', f)).href)));
  return {
    version: 'v1',
    name: 'mfakit 0.1',
    createMfa: (store, now) => index.createMfa({ store, issuer: 'Bench', secretKeys, pepper, now, policy: { throttle: { freeFailures: 100, suspendAfter: 100 } } }),
    memoryStore: () => new index.MemoryStore(),
    createPostgresStore: (pool, o) => postgres.createPostgresStore(pool, o),
    createRedisStore: (client, o) => redis.createRedisStore(client, o),
    giveBack: (store, userId) => store.clearFailures(userId),
  };
}

// ---------------------------------------------------------------------------
// Opening stores: each yields a store per client, the counter of its round trips, and the users to delete.

async function openMemory(lib) {
  // The clients use the store itself; only the round-trip count goes through the counting wrapper.
  const counter = { n: 0 };
  const store = lib.memoryStore();
  return { stores: Array.from({ length: CLIENTS }, () => store), counting: countCalls(store, counter), counter, users: [], store0: store };
}

async function openPostgres(lib, url, directUrl, tablePrefix, opts) {
  const counter = { n: 0 };
  const pool = countQueries(new pg.Pool({ connectionString: url, max: CLIENTS }), counter);
  pool.on('error', () => {});
  const make = () => lib.createPostgresStore(pool, { tablePrefix, ...opts });
  const first = make();
  await first.migrate();
  cleanups.push(async () => {
    await pool.end();
    const admin = new pg.Client({ connectionString: directUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND left(tablename, $1) = $2', [tablePrefix.length, tablePrefix]);
      for (const { tablename } of rows) await admin.query(`DROP TABLE IF EXISTS "${tablename}" CASCADE`);
    } finally {
      await admin.end();
    }
  });
  return { stores: Array.from({ length: CLIENTS }, make), counting: make(), counter, users: [], store0: first, pool };
}

async function openRedis(lib, url, keyPrefix) {
  const counter = { n: 0 };
  const clients = await Promise.all(Array.from({ length: CLIENTS + 1 }, async () => {
    const c = createClient({ url, disableOfflineQueue: true });
    c.on('error', () => {});
    await c.connect();
    return countCommands(c, counter);
  }));
  const stores = clients.map((c) => lib.createRedisStore(c, { keyPrefix }));
  const ctx = { stores: stores.slice(0, CLIENTS), counting: stores[CLIENTS], counter, users: [], store0: stores[CLIENTS] };
  cleanups.push(async () => {
    for (const u of ctx.users) await ctx.store0.deleteUser(u);
    for (const c of clients) c.destroy();
  });
  return ctx;
}

async function openCluster(lib, nodes, keyPrefix) {
  const counter = { n: 0 };
  const clusters = await Promise.all(Array.from({ length: CLIENTS + 1 }, async () => {
    const c = createCluster({ rootNodes: nodes.map((url) => ({ url })), defaults: { disableOfflineQueue: true } });
    c.on('error', () => {});
    await c.connect();
    return countCommands(c, counter);
  }));
  const stores = clusters.map((c) => lib.createRedisStore(c, { keyPrefix }));
  const ctx = { stores: stores.slice(0, CLIENTS), counting: stores[CLIENTS], counter, users: [], store0: stores[CLIENTS] };
  cleanups.push(async () => {
    for (const u of ctx.users) await ctx.store0.deleteUser(u);
    for (const c of clusters) c.destroy();
  });
  return ctx;
}

let mysqlVersion = '';

async function openMysql(lib, url, tablePrefix) {
  const counter = { n: 0 };
  const { default: mysql } = await import('mysql2/promise');
  const pool = mysql.createPool({ uri: url, connectionLimit: CLIENTS, charset: 'utf8mb4' });
  // Every store call is one query or execute on the pool: one CALL, one round trip.
  const counted = {
    query: (sql, values) => (counter.n++, pool.query(sql, values)),
    execute: (sql, values) => (counter.n++, pool.execute(sql, values)),
  };
  const make = () => lib.createMysqlStore(counted, { tablePrefix });
  const first = make();
  await first.migrate();
  mysqlVersion = String((await pool.query('SELECT VERSION() AS v'))[0][0]?.v ?? '?');
  cleanups.push(async () => {
    const [tables] = await pool.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, ?) = ?', [tablePrefix.length, tablePrefix]);
    for (const { t } of tables) await pool.query(`DROP TABLE IF EXISTS \`${t}\``);
    const [procs] = await pool.query("SELECT ROUTINE_NAME AS p FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'PROCEDURE' AND LEFT(ROUTINE_NAME, ?) = ?", [tablePrefix.length, tablePrefix]);
    for (const { p } of procs) await pool.query(`DROP PROCEDURE IF EXISTS \`${p}\``);
    await pool.end();
  });
  return { stores: Array.from({ length: CLIENTS }, make), counting: make(), counter, users: [], store0: first };
}

/** A store whose every method call is counted (MemoryStore: a call is its round trip). */
function countCalls(store, counter) {
  const wrapped = { supports: store.supports };
  const names = new Set();
  for (let o = store; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor' && typeof store[k] === 'function') names.add(k);
  }
  for (const k of names) {
    wrapped[k] = (...args) => {
      counter.n++;
      return store[k](...args);
    };
  }
  return wrapped;
}

/**
 * Counts every statement sent on the pool's connections: `query` on each client
 * the pool hands out. `pool.query` checks a client out through `pool.connect`
 * and calls its `query`, so it is counted there, once.
 */
function countQueries(pool, counter) {
  const seen = new WeakSet();
  const connect = pool.connect.bind(pool);
  const wrap = (client) => {
    if (!seen.has(client)) {
      seen.add(client);
      const query = client.query.bind(client);
      client.query = (...args) => {
        counter.n++;
        return query(...args);
      };
    }
    return client;
  };
  pool.connect = (cb) => (typeof cb === 'function' ? connect((err, client, done) => cb(err, err ? client : wrap(client), done)) : connect().then(wrap));
  return pool;
}

/** Counts every command sent through `sendCommand` (a node-redis client or cluster). */
function countCommands(client, counter) {
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args) => {
    counter.n++;
    return send(...args);
  };
  return client;
}

// ---------------------------------------------------------------------------
// Users and codes

let userSeq = 0;

/** Enrols a new user; returns it with its secret, its recovery codes and the next step to use. */
async function enrol(t, mfa, clock, tag) {
  const userId = `bench-${RUN}-${t.version}-${t.key}-${tag}-${userSeq++}`;
  t.ctx.users.push(userId);
  clock.now = T0;
  const { secret } = await mfa.beginEnrollment(userId, { account: `${userId}@example.com` });
  const confirmed = await mfa.confirmEnrollment(userId, generateTotp(secret, { now: clock.now }));
  if (!confirmed.ok) throw new Error(`${t.version} ${t.label}: enrolment failed: ${confirmed.reason}`);
  return { userId, secret, recoveryCodes: confirmed.recoveryCodes, step: 1 };
}

/** A 6-digit code that matches no step of the ±1 window around `at`. */
function wrongCode(secret, at) {
  const taken = new Set([-1, 0, 1].map((k) => generateTotp(secret, { now: at + k * STEP })));
  let n = 0;
  while (taken.has(String(n).padStart(6, '0'))) n++;
  return String(n).padStart(6, '0');
}

// ---------------------------------------------------------------------------
// 1. Round trips

async function roundTrips(t) {
  const { counter } = t.ctx;
  const clock = { now: T0 };
  const mfa = t.lib.createMfa(t.ctx.counting, () => clock.now);
  const count = async (f) => {
    const before = counter.n;
    const r = await f();
    return { n: counter.n - before, r };
  };
  const samples = [];
  for (let s = 0; s < 1 + TRIP_SAMPLES; s++) {
    // confirmEnrollment counted on its own: beginEnrollment first, untimed and uncounted.
    const userId = `bench-${RUN}-${t.version}-${t.key}-trips-${userSeq++}`;
    t.ctx.users.push(userId);
    clock.now = T0;
    const { secret } = await mfa.beginEnrollment(userId, { account: `${userId}@example.com` });
    const confirm = await count(() => mfa.confirmEnrollment(userId, generateTotp(secret, { now: clock.now })));
    if (!confirm.r.ok) throw new Error(`${t.label}: confirmEnrollment failed: ${confirm.r.reason}`);
    clock.now = T0 + STEP;
    const code = generateTotp(secret, { now: clock.now });
    const right = await count(() => mfa.verify(userId, code));
    const again = await mfa.verify(userId, code);
    clock.now = T0 + 3 * STEP;
    const wrong = await count(() => mfa.verify(userId, wrongCode(secret, clock.now)));
    const malformed = await count(() => mfa.verify(userId, '12a45'));
    const recovery = await count(() => mfa.verify(userId, confirm.r.recoveryCodes[0]));
    const status = await count(() => mfa.status(userId));
    const expect = [[right, true], [wrong, false], [malformed, false], [recovery, true]];
    for (const [{ r }, ok] of expect) if (r.ok !== ok) throw new Error(`${t.label}: unexpected result ${JSON.stringify(r)}`);
    if (s > 0) {
      samples.push({ right: right.n, wrong: wrong.n, malformed: malformed.n, recovery: recovery.n, confirm: confirm.n, status: status.n, replay: again.ok });
    }
  }
  const med = (k) => median(samples.map((x) => x[k]));
  return { right: med('right'), wrong: med('wrong'), malformed: med('malformed'), recovery: med('recovery'), confirm: med('confirm'), status: med('status'), replay: samples.some((x) => x.replay) };
}

// ---------------------------------------------------------------------------
// 2. Concurrent verifies

async function makeClients(t, right) {
  return Promise.all(t.ctx.stores.map(async (store) => {
    const clock = { now: T0 };
    const mfa = t.lib.createMfa(store, () => clock.now);
    const user = await enrol(t, mfa, clock, right ? 'r' : 'w');
    return { store, mfa, clock, user, label: `${t.lib.name} ${t.label}` };
  }));
}

/** Codes for the next `k` calls of a client, each at the next step of its clock. */
function plan(client, right, k) {
  const calls = [];
  for (let i = 0; i < k; i++) {
    const at = T0 + client.user.step++ * STEP;
    const code = right ? generateTotp(client.user.secret, { now: at }) : wrongCode(client.user.secret, at);
    // When the next step shows the same code (about 1 in 10^6), the latest matching step is the one
    // accepted, so the next fresh code is the one after it, as for a person at an authenticator.
    if (right && generateTotp(client.user.secret, { now: at + STEP }) === code) client.user.step++;
    calls.push({ at, code });
  }
  return calls;
}

async function runClient(client, right, calls, latencies) {
  const { mfa, clock, user } = client;
  for (const { at, code } of calls) {
    clock.now = at;
    const start = performance.now();
    const r = await mfa.verify(user.userId, code);
    const ms = performance.now() - start;
    if (r.ok !== right || (!right && r.reason !== 'mismatch')) {
      const step = at / STEP;
      const near = [-2, -1, 1, 2].map((k) => `${k}:${generateTotp(user.secret, { now: at + k * STEP })}`).join(' ');
      throw new Error(`${client.label}: unexpected result ${JSON.stringify(r)} for ${right ? 'right' : 'wrong'} code ${code} at step ${step} of ${user.userId} (codes near: ${near})`);
    }
    latencies.push(ms);
  }
}

/** The reference: `k` pairs of `SELECT 1` on the pool, one after the other, each pair timed as one call. */
async function runBaseline(pool, k, latencies) {
  for (let i = 0; i < k; i++) {
    const start = performance.now();
    await pool.query('SELECT 1');
    await pool.query('SELECT 1');
    latencies.push(performance.now() - start);
  }
}

/** `perClient` verifies by each client, concurrently, in batches; the wall time of the batches only. */
async function runCell(cell, perClient) {
  const { t, right, clients } = cell;
  const latencies = [];
  let wallMs = 0;
  for (let done = 0; done < perClient; done += BATCH) {
    const k = Math.min(BATCH, perClient - done);
    const plans = cell.baseline ? [] : clients.map((c) => plan(c, right, k));
    const start = performance.now();
    await Promise.all(clients.map((c, i) => (cell.baseline ? runBaseline(cell.baseline, k, latencies) : runClient(c, right, plans[i], latencies))));
    wallMs += performance.now() - start;
    if (!right) await Promise.all(clients.map((c) => t.lib.giveBack(c.store, c.user.userId, k)));
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { ops: latencies.length, perSec: latencies.length / (wallMs / 1000), p50: pct(0.5), p99: pct(0.99) };
}

// ---------------------------------------------------------------------------
// better-auth

async function runBetterAuth(pgUrl) {
  if (!pgUrl) return { error: 'no PostgreSQL server' };
  let mod;
  let version = '?';
  try {
    mod = await import('./peers/better-auth.mjs');
    version = JSON.parse(readFileSync(join(root, 'bench/peers/node_modules/better-auth/package.json'), 'utf8')).version;
  } catch (err) {
    return { error: `bench/peers could not be loaded (run \`cd bench/peers && npm ci\`): ${err.message.split('\n')[0]}` };
  }
  log(`better-auth ${version}: ${BETTER_AUTH_OPS} verifies per case (slow: a password sign-in per challenge)`);
  try {
    const r = await mod.benchBetterAuth({ pgUrl, clients: CLIENTS, ops: BETTER_AUTH_OPS, warmup: quick ? 10 : 20 });
    return { ...r, version };
  } catch (err) {
    return { error: `better-auth run failed: ${err.message.split('\n')[0]}` };
  }
}

// ---------------------------------------------------------------------------
// Output

function print({ servers, v1, trips, cells, betterAuth }) {
  const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
  const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
  const summary = (cell) => ({
    perSec: median(cell.rounds.map((r) => r.perSec)),
    min: Math.min(...cell.rounds.map((r) => r.perSec)),
    max: Math.max(...cell.rounds.map((r) => r.perSec)),
    p50: median(cell.rounds.map((r) => r.p50)),
    p99: median(cell.rounds.map((r) => r.p99)),
  });
  const find = (version, key, right) => cells.find((c) => c.t.version === version && c.t.key === key && c.right === right && !c.baseline);
  const versions = serverVersions(servers);
  const out = [];
  out.push('# mfakit adapter benchmark', '');
  out.push(`- Command: \`${command}\``);
  out.push(`- Node ${process.versions.node}, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${process.platform} ${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? '?'})`);
  const la = (l) => l.map((x) => x.toFixed(2)).join(' ');
  out.push(`- Load average (1, 5, 15 min): ${la(loadAtStart)} at the start, ${la(loadavg())} at the end`);
  out.push(`- Servers: ${servers.source}, on this machine over loopback${versions ? ` (${versions})` : ''}`);
  out.push(`- ${CLIENTS} concurrent clients; ${ROUNDS} interleaved rounds of ${fmt(PER_CLIENT * CLIENTS)} timed verifies per store and case (${PER_CLIENT} per client), after ${WARMUP} untimed per client; medians over the rounds`);
  out.push(`- mfakit 0.2: this tree's dist/; mfakit 0.1: ${V01_COMMIT}, ${libsNote(v1)}`);
  for (const n of notes) out.push(`- ${n}`);

  out.push('', '## Round trips per flow', '');
  out.push(`Counted with nothing else running, after the warm-up, median of ${TRIP_SAMPLES} users. MemoryStore: calls into the store; Postgres: statements (\`query\` calls on the pool's connections); Redis: commands (\`sendCommand\` calls on the client); MariaDB: calls (\`query\`/\`execute\` on the pool, each one \`CALL\`).`, '');
  out.push('| version | store | counted | right code | wrong code | malformed | recovery code | confirmEnrollment | status | same code twice |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const { t, r } of trips) {
    out.push(`| ${t.lib.name} | ${t.label} | ${t.counted} | ${r.right} | ${r.wrong} | ${r.malformed} | ${r.recovery} | ${r.confirm} | ${r.status} | ${r.replay ? 'accepted' : 'refused'} |`);
  }
  const v2trips = trips.filter((x) => x.t.version === 'v2');
  const budgetMet = v2trips.every(({ r }) => r.right <= 2 && r.wrong === 1 && r.malformed === 0);
  out.push('', `Budget (right ≤ 2, wrong 1, malformed 0) on every 0.2 store: ${budgetMet ? 'met' : 'NOT met'}.`);

  out.push('', `## mfa.verify, ${CLIENTS} concurrent clients (mfakit 0.2)`, '');
  out.push('| store | case | verifies/s | range over rounds | p50 ms | p99 ms |');
  out.push('|---|---|---:|---:|---:|---:|');
  for (const right of [true, false]) {
    for (const cell of cells.filter((c) => c.t.version === 'v2' && c.right === right)) {
      const s = summary(cell);
      out.push(`| ${cell.t.label} | ${cell.baseline ? 'reference: 2 × `SELECT 1`, no mfakit' : right ? 'right code' : 'wrong code'} | ${fmt(s.perSec)} | ${fmt(s.min)}–${fmt(s.max)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} |`);
    }
  }

  const pairs = [];
  out.push('', '## mfakit 0.2 beside 0.1, same servers, same clients', '');
  if (cells.some((c) => c.t.version === 'v1')) {
    out.push('Ratios are medians of the per-round ratios (the two cells of a pair run one after the other).', '');
    out.push('| store | case | 0.2 verifies/s | 0.1 verifies/s | 0.2 ÷ 0.1 | 0.2 p99 ms | 0.1 p99 ms | 0.1 p99 ÷ 0.2 p99 |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const right of [true, false]) {
      for (const a of cells.filter((c) => c.t.version === 'v2' && c.right === right && !c.baseline)) {
        const b = find('v1', a.t.key, right);
        if (!b && a.t.key === 'mysql') {
          const sa = summary(a);
          out.push(`| ${a.t.label} | ${right ? 'right code' : 'wrong code'} | ${fmt(sa.perSec)} | mfakit 0.1 has no MySQL store | — | ${fmt(sa.p99, 2)} | — | — |`);
        }
        if (!b) continue;
        const sa = summary(a);
        const sb = summary(b);
        const rate = median(a.rounds.map((r, i) => r.perSec / b.rounds[i].perSec));
        const p99 = median(a.rounds.map((r, i) => b.rounds[i].p99 / r.p99));
        pairs.push({ key: a.t.key, right, rate });
        out.push(`| ${a.t.label} | ${right ? 'right code' : 'wrong code'} | ${fmt(sa.perSec)} | ${fmt(sb.perSec)} | ${ratio(rate)} | ${fmt(sa.p99, 2)} | ${fmt(sb.p99, 2)} | ${ratio(p99)} |`);
      }
    }
  } else {
    out.push('Not measured: mfakit 0.1 is not available (see above).');
  }

  out.push('', `## better-auth's two-factor plugin on the same PostgreSQL, ${CLIENTS} clients`, '');
  const pgRight = find('v2', 'pg', true);
  const pgWrong = find('v2', 'pg', false);
  let baRatio = NaN;
  if (betterAuth && !betterAuth.error && pgRight) {
    const mine = { right: summary(pgRight), wrong: summary(pgWrong) };
    const mineTrips = trips.find((x) => x.t.version === 'v2' && x.t.key === 'pg')?.r;
    baRatio = mine.right.perSec / betterAuth.right.perSec;
    out.push(`better-auth ${betterAuth.version}, ${fmt(BETTER_AUTH_OPS)} timed verifyTOTP calls per case (run once, between rounds ${Math.ceil(ROUNDS / 2)} and ${Math.ceil(ROUNDS / 2) + 1}); mfakit 0.2 Postgres (prepared) from the tables above.`, '');
    out.push('| case | better-auth verifies/s | p50 ms | p99 ms | round trips | mfakit verifies/s | mfakit p99 ms | mfakit round trips | mfakit ÷ better-auth |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const right of [true, false]) {
      const b = right ? betterAuth.right : betterAuth.wrong;
      const m = right ? mine.right : mine.wrong;
      out.push(`| ${right ? 'right code' : 'wrong code'} | ${fmt(b.perSec)} | ${fmt(b.p50Ms, 2)} | ${fmt(b.p99Ms, 2)} | ${b.roundTrips} | ${fmt(m.perSec)} | ${fmt(m.p99, 2)} | ${mineTrips ? (right ? mineTrips.right : mineTrips.wrong) : '—'} | ${ratio(m.perSec / b.perSec)} |`);
    }
    out.push('', `Accepts the same code twice (two sign-ins, one code, one 30 s step): better-auth ${betterAuth.acceptsSameCodeTwice ? 'yes' : 'no'}; mfakit ${mineTrips?.replay ? 'yes' : 'no'}.`);
  } else {
    out.push(`Not measured: ${betterAuth?.error ?? 'no PostgreSQL server'}.`);
  }

  out.push('', '## Targets (issue: Postgres right code ≥ 3.5× 0.1 and ≥ 6,000/s at 8 clients, ≥ 25× better-auth; wrong code 1 round trip)', '');
  const pgPair = pairs.find((p) => p.key === 'pg' && p.right);
  const pgTrips = trips.find((x) => x.t.version === 'v2' && x.t.key === 'pg')?.r;
  const pgRate = pgRight ? summary(pgRight).perSec : NaN;
  const verdict = (ok) => (ok ? 'met' : 'not met');
  out.push('| target | this run | |');
  out.push('|---|---:|---|');
  out.push(`| Postgres right code ≥ 3.5× 0.1 | ${pgPair ? ratio(pgPair.rate) : 'not measured'} | ${pgPair ? verdict(pgPair.rate >= 3.5) : '—'} |`);
  const ref = cells.find((c) => c.baseline);
  const refNote = ref ? ` (2 × \`SELECT 1\` on the same pool: ${fmt(summary(ref).perSec)})` : '';
  out.push(`| Postgres right code ≥ 6,000/s | ${pgRight ? fmt(pgRate) : 'not measured'}${refNote} | ${pgRight ? verdict(pgRate >= 6000) : '—'} |`);
  out.push(`| Postgres right code ≥ 25× better-auth | ${Number.isFinite(baRatio) ? ratio(baRatio) : 'not measured'} | ${Number.isFinite(baRatio) ? verdict(baRatio >= 25) : '—'} |`);
  out.push(`| wrong code 1 round trip, every 0.2 store | ${v2trips.map(({ t, r }) => `${t.key} ${r.wrong}`).join(', ')} | ${verdict(v2trips.every(({ r }) => r.wrong === 1))} |`);
  out.push(`| right code ≤ 2 round trips, every 0.2 store | ${v2trips.map(({ t, r }) => `${t.key} ${r.right}`).join(', ')} | ${verdict(v2trips.every(({ r }) => r.right <= 2))} |`);
  if (pgTrips === undefined) out.push('', '(Postgres not measured.)');
  process.stdout.write(`${out.join('\n')}\n`);
}

function libsNote(v1) {
  if (v1.lib) return `built from git with tsup in a temporary directory (deleted at the end)`;
  return 'not available';
}

function serverVersions(servers) {
  const parts = [];
  try {
    if (servers.pgUrl) parts.push(`PostgreSQL ${execFileSync('psql', [servers.pgUrl, '-Atc', 'SHOW server_version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()}`);
  } catch {}
  try {
    if (servers.pgbouncerUrl) parts.push(`PgBouncer ${execFileSync(existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].replace(/^PgBouncer\s*/i, '')} in transaction pooling`);
  } catch {}
  try {
    if (servers.redisUrl) parts.push(`Redis ${execFileSync('redis-cli', ['-u', servers.redisUrl, 'INFO', 'server'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).match(/redis_version:(\S+)/)?.[1] ?? '?'}`);
  } catch {}
  if (servers.clusterNodes.length > 0) parts.push(`Redis Cluster of ${servers.clusterNodes.length} masters, no replicas`);
  if (mysqlVersion) parts.push(`MariaDB ${mysqlVersion}`);
  return parts.join(', ');
}

// ---------------------------------------------------------------------------
// Helpers

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

// ---------------------------------------------------------------------------
// Run (last, so every declaration above is initialised)

try {
  await main();
} finally {
  for (const f of cleanups.reverse()) {
    try {
      await f();
    } catch (err) {
      log(`cleanup: ${err.message}`);
    }
  }
}
