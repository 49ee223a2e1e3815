// better-auth's two-factor plugin verifying TOTP codes on PostgreSQL, N
// concurrent clients: the peer printed beside mfakit's own stores.
//
//   node bench/peers/better-auth.mjs           8 clients, 2,000 verifies per case
//   node bench/peers/better-auth.mjs --quick   fewer verifies, for a smoke check
//
// Run directly, it uses MFAKIT_PG_URL when set and otherwise starts a throwaway
// server with scripts/services.sh and stops it at the end. From code:
// `benchBetterAuth({ pgUrl, clients, ops, warmup })`.
//
// The host app. better-auth is set up as its documentation shows: `betterAuth`
// with a `pg.Pool` (max = clients) as the database, e-mail and password
// sign-in, and `twoFactor()`; its tables come from its own migration planner
// (`getMigrations` in `better-auth/db/migration`, what `auth migrate` runs),
// in a schema of their own that is dropped at the end. One deviation from the
// defaults: the account lockout stays enabled, so every wrong code still pays
// for its failure counter, but its threshold is raised so the benchmark's own
// guesses never lock an account (10 failures would, and then no code is
// checked at all). Endpoints are called through `auth.api`, as a server-side
// host does; that path has no rate limiter (better-auth applies it in
// `auth.handler` only, where it allows 3 two-factor requests per 10 s per IP).
//
// Each client is one user: sign-up, enableTwoFactor with the password, the
// first code from the returned otpauth URI to turn two-factor on. Then a
// sign-in with e-mail and password, which answers `twoFactorRedirect` and sets
// the two-factor cookie, and `verifyTOTP` with that cookie. A right code
// spends the challenge, so every right verify has a sign-in of its own; a
// wrong one leaves it open, and better-auth checks up to 5 codes on one
// challenge at the same cost each, so wrong codes go 5 to a sign-in. Only
// `verifyTOTP` is timed. The sign-ins are made untimed just before the
// verifies that use them, 50 verifies per client at a time, so their password
// hashing (scrypt, most of the run time) never runs beside a timed call or in
// the wall time; verifies/s is timed calls over the wall time of the timed
// batches. Latency is per call; p50 and p99 over all clients.
//
// The codes. A right code is the code an authenticator shows at that moment:
// computed from the URI's secret with otpauth on the real clock, just before
// the call. The clock is not faked: better-auth's verifyTOTP keeps no record
// of the step it accepted, so a code it has seen before costs exactly what a
// fresh one does, and moving Date.now would also move its session, challenge
// and lockout clocks. Every right code must be accepted, or the run stops.
// A wrong code is a 6-digit code that matches none of the steps the window
// can reach (±1 around now, and the step after in case the call crosses a
// boundary); every one must be refused with INVALID_CODE.
//
// Round trips are the statements sent to PostgreSQL (including BEGIN and
// COMMIT), counted by wrapping the pool's `query` and the `query` of every
// client it checks out, over single verify calls made while nothing else runs;
// the median of 7. better-auth also deletes expired verification rows at most
// once a minute during a lookup; that amortised cleanup is not in the count.
//
// `acceptsSameCodeTwice`: two sign-ins, then the same code submitted with
// each two-factor cookie in turn, both within one 30 s step; true when both
// are accepted.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../free-port.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { twoFactor } from 'better-auth/plugins';
import * as OTPAuth from 'otpauth';
import pg from 'pg';

const NAME = 'better-auth two-factor';
const PASSWORD = 'correct horse battery staple';
const STEP_MS = 30_000;
const BATCH = 50; // verifies per client between untimed sign-in phases
const ROUND_TRIP_SAMPLES = 7;
const WRONG_PER_CHALLENGE = 5; // better-auth checks 5 codes per two-factor challenge

/**
 * @param {object} o
 * @param {string} o.pgUrl PostgreSQL connection string (the role must be allowed to create a schema).
 * @param {number} [o.clients=8] concurrent clients, one user and one pool connection each.
 * @param {number} [o.ops=2000] timed verifies per case, spread over the clients.
 * @param {number} [o.warmup=20] untimed verifies per client before each case.
 */
export async function benchBetterAuth({ pgUrl, clients = 8, ops = 2000, warmup = 20 } = {}) {
  if (typeof pgUrl !== 'string' || pgUrl === '') throw new TypeError('pgUrl must be a PostgreSQL connection string');
  for (const [name, v, min] of [['clients', clients, 1], ['ops', ops, 1], ['warmup', warmup, 0]]) {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}`);
  }

  const schema = `better_auth_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const counter = { statements: 0 };
  const pool = countStatements(new pg.Pool({ connectionString: pgUrl, max: clients, options: `-c search_path="${schema}"` }), counter);
  pool.on('error', () => {});
  try {
    const options = {
      appName: 'Bench',
      baseURL: 'http://localhost:3000',
      secret: randomBytes(32).toString('base64url'),
      database: pool,
      emailAndPassword: { enabled: true },
      plugins: [twoFactor({ accountLockout: { maxFailedAttempts: Number.MAX_SAFE_INTEGER } })],
      logger: { level: 'error' },
    };
    const { runMigrations } = await getMigrations(options);
    await runMigrations();
    const auth = betterAuth(options);

    const users = await Promise.all(Array.from({ length: clients }, (_, i) => enrolUser(auth, `bench-${process.pid}-${i}@example.com`)));
    const acceptsSameCodeTwice = await acceptsReplay(auth, users[0]);
    const right = await measure(auth, users, true, { ops, warmup, counter });
    const wrong = await measure(auth, users, false, { ops, warmup, counter });
    return { name: NAME, right, wrong, acceptsSameCodeTwice };
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    await admin.end();
  }
}

// ---------------------------------------------------------------------------
// The host's calls

/** Sign up, enable two-factor with the password, confirm with the first code. */
async function enrolUser(auth, email) {
  const signUp = await auth.api.signUpEmail({ body: { email, password: PASSWORD, name: 'Bench' }, returnHeaders: true });
  const headers = cookieHeaders(signUp.headers, 'better-auth.session_token');
  const enabled = await auth.api.enableTwoFactor({ body: { password: PASSWORD }, headers });
  const totp = OTPAuth.URI.parse(enabled.totpURI);
  await auth.api.verifyTOTP({ body: { code: totp.generate() }, headers });
  return { email, totp };
}

/** E-mail and password sign-in; returns the request headers carrying the two-factor cookie. */
async function signIn(auth, user) {
  const r = await auth.api.signInEmail({ body: { email: user.email, password: PASSWORD }, returnHeaders: true });
  if (r.response?.twoFactorRedirect !== true) throw new Error('sign-in did not ask for a second factor');
  return cookieHeaders(r.headers, 'better-auth.two_factor');
}

/** One verifyTOTP call: true when accepted, false when refused as a wrong code. */
async function verify(auth, headers, code) {
  try {
    await auth.api.verifyTOTP({ body: { code }, headers, returnHeaders: true });
    return true;
  } catch (err) {
    if (err?.body?.code === 'INVALID_CODE') return false;
    throw err;
  }
}

function cookieHeaders(responseHeaders, name) {
  const cookie = responseHeaders.getSetCookie().map((c) => c.split(';', 1)[0]).find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);
  if (cookie === undefined) throw new Error(`no ${name} cookie in the response`);
  return new Headers({ cookie });
}

// ---------------------------------------------------------------------------
// Codes

const stepNow = () => Math.floor(Date.now() / STEP_MS);

function rightCode(user) {
  return user.totp.generate();
}

/** A code that matches no step from now - 1 to now + 2. */
function wrongCode(user) {
  const at = stepNow();
  const taken = new Set([-1, 0, 1, 2].map((k) => user.totp.generate({ timestamp: (at + k) * STEP_MS })));
  let n = Number(rightCode(user));
  let code;
  do {
    n = (n + 1) % 1_000_000;
    code = String(n).padStart(6, '0');
  } while (taken.has(code));
  return code;
}

// ---------------------------------------------------------------------------
// Measurement

/** The same code with two fresh two-factor cookies inside one step, retried if a step boundary falls in between. */
async function acceptsReplay(auth, user) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const first = await signIn(auth, user);
    const second = await signIn(auth, user);
    const step = stepNow();
    const code = rightCode(user);
    const a = await verify(auth, first, code);
    const b = await verify(auth, second, code);
    if (stepNow() === step) return a && b;
  }
  throw new Error('could not keep two verifies inside one 30 s step');
}

async function measure(auth, users, right, { ops, warmup, counter }) {
  const code = right ? rightCode : wrongCode;
  const call = async (user, headers, latencies) => {
    const c = code(user);
    const start = performance.now();
    const accepted = await verify(auth, headers, c);
    const ms = performance.now() - start;
    if (accepted !== right) throw new Error(`a ${right ? 'right' : 'wrong'} code was ${accepted ? 'accepted' : 'refused'}`);
    latencies?.push(ms);
  };
  // A right code spends its challenge; a wrong one leaves it open for the next
  // guess, up to better-auth's 5 per challenge.
  const usesPerSignIn = right ? 1 : WRONG_PER_CHALLENGE;
  const batch = async (counts, latencies) => {
    const plans = await Promise.all(users.map(async (u, i) => {
      const headers = [];
      for (let k = 0; k < counts[i]; k++) headers.push(k % usesPerSignIn === 0 ? await signIn(auth, u) : headers[k - 1]);
      return headers;
    }));
    const start = performance.now();
    await Promise.all(users.map(async (u, i) => {
      for (const h of plans[i]) await call(u, h, latencies);
    }));
    return performance.now() - start;
  };

  // Warm-up, then the round trips of single calls with nothing else running.
  for (let done = 0; done < warmup; done += BATCH) await batch(users.map(() => Math.min(BATCH, warmup - done)));
  const trips = [];
  for (let k = 0; k < ROUND_TRIP_SAMPLES; k++) {
    const headers = await signIn(auth, users[0]);
    const before = counter.statements;
    await call(users[0], headers);
    trips.push(counter.statements - before);
  }

  // Timed: `ops` calls, client i taking its share, in batches.
  const share = users.map((_, i) => Math.floor(ops / users.length) + (i < ops % users.length ? 1 : 0));
  const latencies = [];
  let wallMs = 0;
  for (let done = 0; done < share[0]; done += BATCH) {
    wallMs += await batch(share.map((s) => Math.max(0, Math.min(BATCH, s - done))), latencies);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { perSec: latencies.length / (wallMs / 1000), p50Ms: pct(0.5), p99Ms: pct(0.99), roundTrips: median(trips) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Counts every statement the pool sends: `pool.query` and `query` on each checked-out client. */
function countStatements(pool, counter) {
  const wrapped = new WeakSet();
  const poolQuery = pool.query.bind(pool);
  pool.query = (...args) => {
    counter.statements++;
    return poolQuery(...args);
  };
  const connect = pool.connect.bind(pool);
  const wrap = (client) => {
    if (!wrapped.has(client)) {
      wrapped.add(client);
      const query = client.query.bind(client);
      client.query = (...args) => {
        counter.statements++;
        return query(...args);
      };
    }
    return client;
  };
  pool.connect = (callback) => {
    if (typeof callback === 'function') return connect((err, client, done) => callback(err, err ? client : wrap(client), done));
    return connect().then(wrap);
  };
  return pool;
}

// ---------------------------------------------------------------------------
// Command line

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  let pgUrl = process.env.MFAKIT_PG_URL ?? '';
  let stop = () => {};
  if (pgUrl === '') {
    const dir = mkdtempSync(join(tmpdir(), 'mfakit-bench-better-auth-'));
    const env = { ...process.env, MFAKIT_SERVICES_DIR: dir, MFAKIT_PG_PORT: String(await freePort()), MFAKIT_REDIS_PORT: String(await freePort()), MFAKIT_SERVICES_OWNER_PID: String(process.pid) };
    const script = join(root, 'scripts/services.sh');
    stop = () => {
      execFileSync(script, ['stop'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      execFileSync(script, ['start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (err) {
      stop();
      throw err;
    }
    pgUrl = readFileSync(join(dir, 'services.env'), 'utf8').match(/^MFAKIT_PG_URL=(.*)$/m)[1];
  }
  const clients = 8;
  const ops = quick ? 400 : 2000;
  let r;
  try {
    r = await benchBetterAuth({ pgUrl, clients, ops, warmup: quick ? 10 : 20 });
  } finally {
    stop();
  }
  const version = JSON.parse(readFileSync(new URL('node_modules/better-auth/package.json', import.meta.url), 'utf8')).version;
  const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const row = (kind, c) => `| ${r.name} | ${kind} | ${fmt(ops)} | ${fmt(c.perSec)} | ${fmt(c.p50Ms, 2)} | ${fmt(c.p99Ms, 2)} | ${c.roundTrips} |`;
  const lines = [
    `better-auth ${version} verifyTOTP on PostgreSQL, ${clients} concurrent clients, Node ${process.versions.node}`,
    '',
    '| peer | case | verifies | verifies/s | p50 ms | p99 ms | round trips |',
    '|---|---|---:|---:|---:|---:|---:|',
    row('right code', r.right),
    row('wrong code', r.wrong),
    '',
    `Accepts the same code twice within one 30 s step: ${r.acceptsSameCodeTwice ? 'yes' : 'no'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
