// Side-by-side throughput of mfakit and its peers, in one process.
//
//   npm run bench                 build, install the peers if missing, run
//   node bench/run.mjs --quick    fewer and shorter rounds, for a smoke check
//
// Every case is measured for every library once per round, in a rotating order
// (interleaved), and the table shows the median of the rounds, so a slow stretch
// of the machine hits all libraries alike. Each library gets the same work: the
// same secret, the same token, window ±1 step (three HMACs), checked for
// agreement before timing. Two kinds of verify are compared separately:
// - the prepared form (mfakit's createTotpVerifier, made once) against each
//   peer's fastest prepared path: otpauth's TOTP object over a decoded Secret,
//   notp and @oslojs/otp with raw key bytes;
// - verifyTotp on a base32 string, decoded per call, against the peers that take
//   strings: otpauth (Secret.fromBase32 per call), otplib, speakeasy.
// The node:crypto loop (raw bytes, one createHmac per step) is shown beside both.
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const peersDir = fileURLToPath(new URL('peers/', import.meta.url));
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 21;
const BATCH_MS = quick ? 15 : 25;

if (!existsSync(new URL('../dist/index.js', import.meta.url))) run('npm', ['run', 'build'], root);
if (!existsSync(new URL('peers/node_modules', import.meta.url))) run('npm', ['ci', '--no-audit', '--no-fund'], peersDir);

const mfakit = await import('../dist/index.js');
const { otpauth, otplib, oslo, speakeasy, notp, versions } = await import('./peers/peers.mjs');

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}`);
}

// ---------------------------------------------------------------------------
// The work

const SECRET = {
  // 20, 32 and 64 bytes: the RFC 6238 Appendix B key sizes for each hash.
  SHA1: mfakit.generateSecret({ bytes: 20 }),
  SHA256: mfakit.generateSecret({ bytes: 32 }),
  SHA512: mfakit.generateSecret({ bytes: 64 }),
};
// Ten seconds into a step, so a ±30 s tolerance (otplib) covers exactly the steps either side.
const FIXED_NOW = Date.UTC(2030, 0, 1, 12, 0, 10);
const KEY = Object.fromEntries(Object.entries(SECRET).map(([a, s]) => [a, mfakit.decodeSecret(s)]));
const BUF = Object.fromEntries(Object.entries(KEY).map(([a, k]) => [a, Buffer.from(k)]));
const lower = (alg) => alg.toLowerCase();

/** A 6-digit token that matches none of the steps around `nowMs` (so every step is computed). */
function wrongToken(alg, nowMs) {
  const near = new Set();
  for (let d = -3; d <= 3; d++) near.add(mfakit.generateTotp(SECRET[alg], { algorithm: alg, now: nowMs + d * 30_000 }));
  for (let v = 0; ; v++) {
    const t = String((123_457 + v * 7_919) % 1_000_000).padStart(6, '0');
    if (!near.has(t)) return t;
  }
}

/** The `node:crypto` baseline: one createHmac per step, as most Node libraries do. */
function nodeCryptoCode(alg, key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeUInt32BE(Math.floor(counter / 0x100000000), 0);
  msg.writeUInt32BE(counter >>> 0, 4);
  const h = createHmac(lower(alg), key).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
function nodeCryptoVerify(alg, key, token, nowMs) {
  const step = Math.floor(nowMs / 30_000);
  let ok = false;
  for (let s = step - 1; s <= step + 1; s++) ok = nodeCryptoCode(alg, key, s) === token || ok;
  return ok;
}

/**
 * One entry per library: for each case it returns a function `(i) => result`
 * or undefined when the library cannot do that work. `ctx` carries the token
 * and the time of the current round.
 */
const LIBS = [
  {
    name: 'mfakit',
    verify: (alg) => (ctx) => mfakit.verifyTotp(SECRET[alg], ctx.token, { algorithm: alg, now: ctx.now }).ok,
    verifyBytes: (ctx) => mfakit.verifyTotp(KEY.SHA1, ctx.token, { now: ctx.now }).ok,
    // The prepared form: decoded and keyed once, as the flows and a host checking many codes hold it.
    prepared: () => {
      const verifier = mfakit.createTotpVerifier(SECRET.SHA1, { window: 1 });
      return (ctx) => verifier.verify(ctx.token, { now: ctx.now }).ok;
    },
    generateTotp: (ctx) => mfakit.generateTotp(SECRET.SHA1, { now: ctx.now }),
    generateHotp: (ctx) => mfakit.generateHotp(SECRET.SHA1, ctx.counter),
  },
  {
    name: 'otpauth',
    verify: (alg) => (ctx) =>
      otpauth.TOTP.validate({
        token: ctx.token,
        secret: otpauth.Secret.fromBase32(SECRET[alg]),
        algorithm: alg,
        timestamp: ctx.now,
        window: 1,
      }) !== null,
    // otpauth's fastest prepared path: a TOTP object over a decoded Secret, made once.
    prepared: () => {
      const totp = new otpauth.TOTP({ secret: otpauth.Secret.fromBase32(SECRET.SHA1), algorithm: 'SHA1', digits: 6, period: 30 });
      return (ctx) => totp.validate({ token: ctx.token, timestamp: ctx.now, window: 1 }) !== null;
    },
    generateTotp: (ctx) => otpauth.TOTP.generate({ secret: otpauth.Secret.fromBase32(SECRET.SHA1), timestamp: ctx.now }),
    generateHotp: (ctx) => otpauth.HOTP.generate({ secret: otpauth.Secret.fromBase32(SECRET.SHA1), counter: ctx.counter }),
  },
  {
    name: 'otplib',
    // otplib 13 with its default plugins (@noble/hashes HMAC, @scure/base base32); epochTolerance 30 s = ±1 step.
    verify: (alg) => (ctx) =>
      otplib.verifySync({ secret: SECRET[alg], token: ctx.token, algorithm: lower(alg), epoch: ctx.now / 1000, epochTolerance: 30 }).valid,
    generateTotp: (ctx) => otplib.generateSync({ secret: SECRET.SHA1, epoch: ctx.now / 1000 }),
    generateHotp: (ctx) => otplib.generateSync({ secret: SECRET.SHA1, strategy: 'hotp', counter: ctx.counter }),
  },
  {
    name: 'speakeasy',
    verify: (alg) => (ctx) =>
      speakeasy.totp.verify({ secret: SECRET[alg], encoding: 'base32', token: ctx.token, algorithm: lower(alg), time: ctx.now / 1000, window: 1 }),
    generateTotp: (ctx) => speakeasy.totp({ secret: SECRET.SHA1, encoding: 'base32', time: ctx.now / 1000 }),
    generateHotp: (ctx) => speakeasy.hotp({ secret: SECRET.SHA1, encoding: 'base32', counter: ctx.counter }),
  },
  {
    name: 'notp',
    // SHA-1 only, no base32, time is always Date.now(): raw key, and the round's token is made for Date.now().
    clock: true,
    verify: (alg) => (alg === 'SHA1' ? (ctx) => notp.totp.verify(ctx.token, BUF.SHA1, { window: 1 }) !== null : undefined),
    // Raw key bytes are all notp takes: its verify is already its prepared path.
    prepared: () => (ctx) => notp.totp.verify(ctx.token, BUF.SHA1, { window: 1 }) !== null,
    generateTotp: () => notp.totp.gen(BUF.SHA1),
    generateHotp: (ctx) => notp.hotp.gen(BUF.SHA1, { counter: ctx.counter }),
  },
  {
    name: '@oslojs/otp',
    // SHA-1 only, no base32, time is always Date.now(); a 30 s grace period is ±1 step.
    clock: true,
    verify: (alg) => (alg === 'SHA1' ? (ctx) => oslo.verifyTOTPWithGracePeriod(KEY.SHA1, 30, 6, ctx.token, 30) : undefined),
    prepared: () => (ctx) => oslo.verifyTOTPWithGracePeriod(KEY.SHA1, 30, 6, ctx.token, 30),
    generateTotp: () => oslo.generateTOTP(KEY.SHA1, 30, 6),
    generateHotp: (ctx) => oslo.generateHOTP(KEY.SHA1, BigInt(ctx.counter), 6),
  },
  {
    name: 'node:crypto ×3',
    baseline: true,
    verify: (alg) => (ctx) => nodeCryptoVerify(alg, BUF[alg], ctx.token, ctx.now),
    prepared: () => (ctx) => nodeCryptoVerify('SHA1', BUF.SHA1, ctx.token, ctx.now),
    generateTotp: (ctx) => nodeCryptoCode('SHA1', BUF.SHA1, Math.floor(ctx.now / 30_000)),
    generateHotp: (ctx) => nodeCryptoCode('SHA1', BUF.SHA1, ctx.counter),
  },
];

/**
 * The cases. `ctx(lib)` builds the per-round context: the time (Date.now() for
 * libraries that cannot take one), the token and what the result must be.
 */
// Peers compared with in each kind of case: the prepared form against each peer's
// fastest prepared path, the base32 string against the peers that take strings.
const PREPARED_PEERS = ['otpauth', 'notp', '@oslojs/otp'];
const STRING_PEERS = ['otpauth', 'otplib', 'speakeasy'];

const CASES = [
  {
    name: 'createTotpVerifier + verify, wrong code ±1 SHA1',
    peers: PREPARED_PEERS,
    target: 7,
    fn: (lib) => lib.prepared?.(),
    ctx: (lib) => {
      const now = lib.clock ? Date.now() : FIXED_NOW;
      return { now, token: wrongToken('SHA1', now), expect: false };
    },
  },
  {
    name: 'verifyTotp on bytes, wrong code ±1 SHA1',
    fn: (lib) => lib.verifyBytes,
    ctx: () => ({ now: FIXED_NOW, token: wrongToken('SHA1', FIXED_NOW), expect: false }),
  },
  ...['SHA1', 'SHA256', 'SHA512'].map((alg) => ({
    name: `verifyTotp base32 wrong code ±1 ${alg}`,
    peers: STRING_PEERS,
    target: alg === 'SHA1' ? 4 : undefined,
    fn: (lib) => lib.verify(alg),
    ctx: (lib) => {
      const now = lib.clock ? Date.now() : FIXED_NOW;
      return { now, token: wrongToken(alg, now), expect: false };
    },
  })),
  {
    name: 'verifyTotp base32 right code ±1 SHA1',
    peers: STRING_PEERS,
    fn: (lib) => lib.verify('SHA1'),
    ctx: (lib) => {
      const now = lib.clock ? Date.now() : FIXED_NOW;
      return { now, token: mfakit.generateTotp(SECRET.SHA1, { now }), expect: true };
    },
  },
  {
    name: 'generateTotp SHA1',
    fn: (lib) => lib.generateTotp,
    ctx: (lib) => {
      const now = lib.clock ? Date.now() : FIXED_NOW;
      // A clock-bound library may cross into the next step between here and the check.
      const expect = [0, 30_000].map((d) => mfakit.generateTotp(SECRET.SHA1, { now: now + d }));
      return { now, expect };
    },
  },
  {
    name: 'generateHotp SHA1',
    fn: (lib) => lib.generateHotp,
    ctx: () => ({ counter: 1_234_567, expect: [mfakit.generateHotp(SECRET.SHA1, 1_234_567)] }),
  },
];

// mfa.verify on the memory store (wrong code): measured when dist exports createMfa and createMemoryStore.
const MFA_CASE = 'mfa.verify createMemoryStore() wrong code';


// ---------------------------------------------------------------------------
// Measurement

let sink = 0;

/** Runs `fn` in a batch of `n` calls; returns calls per second. */
function measure(fn, ctx, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn(ctx)) sink++;
  const ns = Number(process.hrtime.bigint() - t0);
  return (n * 1e9) / ns;
}

/** Checks the library does the work it is timed for, and picks a batch size that runs for about BATCH_MS. */
function prepare(lib, c) {
  const fn = c.fn(lib);
  if (fn === undefined) return undefined;
  const ctx = c.ctx(lib);
  const got = fn(ctx);
  const agrees = Array.isArray(ctx.expect) ? ctx.expect.includes(got) : got === ctx.expect;
  if (!agrees) throw new Error(`${lib.name} disagrees on "${c.name}"`);
  let n = 64;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(ctx);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > BATCH_MS / 4) return { fn, n: Math.max(1, Math.round((n * BATCH_MS) / ms)) };
    n *= 4;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const jobs = [];
  for (const c of CASES) for (const lib of LIBS) {
    const p = prepare(lib, c);
    if (p) jobs.push({ c, lib, ...p, rates: [] });
  }
  const mfaJob = await prepareMfa();
  const directJob = jobs.find((j) => j.lib.name === 'mfakit' && j.c.name.startsWith('verifyTotp on bytes'));

  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no library always runs right after another.
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[(j + r * 7) % jobs.length];
      job.rates.push(measure(job.fn, job.c.ctx(job.lib), job.n));
    }
    if (mfaJob) {
      // Paired with verifyTotp on bytes right before it, so both see the same machine;
      // the better of two batches, since the first can pay for the peers' garbage.
      const direct = measure(directJob.fn, directJob.c.ctx(directJob.lib), directJob.n);
      const rate = Math.max(await mfaJob.measure(), await mfaJob.measure());
      mfaJob.rates.push(rate);
      mfaJob.ratios.push(rate / direct);
    }
  }

  const names = LIBS.map((l) => l.name);
  const allPeers = LIBS.filter((l) => l.name !== 'mfakit' && !l.baseline).map((l) => l.name);
  const rows = [];
  for (const c of CASES) {
    const ops = {};
    for (const job of jobs) if (job.c === c) ops[job.lib.name] = median(job.rates);
    const peerNames = (c.peers ?? allPeers).filter((n) => ops[n] !== undefined);
    const best = Math.max(...peerNames.map((n) => ops[n]));
    const bestName = peerNames.find((n) => ops[n] === best);
    rows.push({ name: c.name, ops, ratio: ops.mfakit / best, bestName, target: c.target, vsNode: ops.mfakit / ops['node:crypto ×3'] });
  }

  const fmt = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
  const head = ['case (ops/s, median)', ...names, 'mfakit ÷ fastest peer', 'mfakit ÷ node:crypto'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const ratio = row.bestName !== undefined
      ? `**${row.ratio.toFixed(2)}×** (${row.bestName}${row.target ? `; target ≥ ${row.target}×` : ''})`
      : '—';
    lines.push(`| ${row.name} | ${names.map((n) => fmt(row.ops[n])).join(' | ')} | ${ratio} | ${Number.isFinite(row.vsNode) ? `${row.vsNode.toFixed(2)}×` : '—'} |`);
  }
  if (mfaJob) {
    const m = median(mfaJob.rates);
    // The ratio within each round, then the median: both measured back to back.
    lines.push(`| ${MFA_CASE} | ${fmt(m)} | ${names.slice(1).map(() => '—').join(' | ')} | **${median(mfaJob.ratios).toFixed(2)}×** of verifyTotp on bytes, paired in each round (target ≥ 0.8×) | — |`);
  } else {
    lines.push(`| ${MFA_CASE} | not measured: dist has no createMfa/createMemoryStore | ${names.slice(1).map(() => '—').join(' | ')} | — | — |`);
  }
  console.log('');

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const v = versions();
  console.log(`mfakit ${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version} · node ${process.version} · ${cpus().length} × ${cpu}`);
  console.log(`peers: ${Object.entries(v).map(([n, ver]) => `${n}@${ver}`).join(', ')}`);
  console.log(`${ROUNDS} interleaved rounds of ~${BATCH_MS} ms per library and case; median shown\n`);
  console.log(lines.join('\n'));
  if (sink < 0) console.log(sink);
}

/**
 * `mfa.verify` with a wrong code on a MemoryStore with AES-256-GCM sealed
 * secrets, when the stateful layer is built. Each call reserves an attempt,
 * opens the secret and checks the code. Throttling would lock a user after a
 * few failures and then skip the check, so the lock schedule has no locks, the
 * calls go round-robin over many users and their failures are given back with
 * `refundAttempt` between batches (outside the timing).
 */
async function prepareMfa() {
  const { createMfa, createMemoryStore } = mfakit;
  if (typeof createMfa !== 'function' || typeof createMemoryStore !== 'function') return undefined;
  const USERS = 128;
  const PER_USER = 90; // under suspendAfter, so no user is suspended within a batch
  // No lock at any failure count, so every call is checked; the failures are given back between batches.
  const schedule = { locks: [0], suspendAfter: 100 };
  const store = createMemoryStore();
  const mfa = createMfa({
    store,
    issuer: 'Bench',
    secretKeys: { current: 'k1', keys: { k1: crypto.getRandomValues(new Uint8Array(32)) } },
    policy: { throttle: schedule },
  });
  const users = [];
  for (let u = 0; u < USERS; u++) {
    const id = `user-${u}`;
    const { secret } = await mfa.beginEnrollment(id, { account: `${id}@example.com` });
    const confirmed = await mfa.confirmEnrollment(id, mfakit.generateTotp(secret));
    if (!confirmed.ok) throw new Error(`enrolment failed: ${confirmed.reason}`);
    users.push({ id, secret });
  }
  const tokens = () => users.map((u) => {
    const near = new Set([-3, -2, -1, 0, 1, 2, 3].map((d) => mfakit.generateTotp(u.secret, { now: Date.now() + d * 30_000 })));
    let v = 123_457;
    while (near.has(String(v).padStart(6, '0'))) v = (v + 7_919) % 1_000_000;
    return String(v).padStart(6, '0');
  });
  const batch = async (n) => {
    const wrong = tokens();
    let mismatches = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const r = await mfa.verify(users[i % USERS].id, wrong[i % USERS]);
      if (!r.ok && r.reason === 'mismatch') mismatches++;
    }
    const ns = Number(process.hrtime.bigint() - t0);
    // Outside the timing: each failure of the batch given back (MfaStore v2 has refundAttempt, one at a time).
    await Promise.all(
      users.map(async (u, k) => {
        const failures = Math.floor(n / USERS) + (k < n % USERS ? 1 : 0);
        for (let f = 0; f < failures; f++) await store.refundAttempt(u.id, schedule);
      }),
    );
    if (mismatches !== n) throw new Error(`mfa.verify answered ${n - mismatches} of ${n} calls with something else than mismatch`);
    return (n * 1e9) / ns;
  };
  // Calibrate like the synchronous cases, within what the users' failure budgets allow.
  let n = 64;
  for (;;) {
    const rate = await batch(n);
    const ms = (n / rate) * 1000;
    if (ms > BATCH_MS / 4 || n >= USERS * PER_USER) {
      n = Math.min(USERS * PER_USER, Math.max(1, Math.round((n * BATCH_MS) / ms)));
      break;
    }
    n = Math.min(n * 4, USERS * PER_USER);
  }
  return { rates: [], ratios: [], measure: () => batch(n) };
}

await main();
