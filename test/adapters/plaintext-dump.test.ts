// After a full flow, dump everything the store wrote and look for the TOTP
// secret and the recovery codes in every encoding a careless store might use.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMysqlStore } from '../../src/adapters/mysql.js';
import { createPostgresStore } from '../../src/adapters/postgres.js';
import { createRedisStore } from '../../src/adapters/redis.js';
import { decodeSecret, generateTotp } from '../../src/index.js';
import { createMfa } from '../../src/flows/index.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { MfaStore } from '../../src/store/types.js';
import { mysqlSkipReason, mysqlUrl, pgUrl, redisUrl, skipReason, uniquePrefix } from './helpers.js';

const T = 1_767_225_600_000;
const secretKeys = { current: 'k1', keys: { k1: new Uint8Array(32).fill(7) } };

/** Every text form of the secret and of each recovery code that must never be stored. */
function needles(secret: string, codes: string[]): string[] {
  const raw = Buffer.from(decodeSecret(secret));
  const b64 = raw.toString('base64');
  const out = [secret, secret.toLowerCase(), raw.toString('hex'), raw.toString('hex').toUpperCase(), b64, b64.replace(/=+$/, ''), raw.toString('base64url')];
  for (const c of codes) {
    const bare = c.replace(/-/g, '');
    out.push(c, c.toLowerCase(), bare, bare.toLowerCase());
  }
  return out;
}

/**
 * Enrols two authenticators, confirms, signs in with a code and with a recovery
 * code, regenerates, sends and checks an e-mail code, opens an API challenge:
 * returns every secret, code, token and destination seen.
 */
async function fullFlow(store: MfaStore, userId: string): Promise<string[]> {
  let now = T;
  // Viewable recovery codes: the sealed copy of the set must not show the codes either.
  const mfa = createMfa({ store, issuer: 'Dump', secretKeys, pepper: 'dump-pepper', now: () => now, recoveryCodes: { viewable: true } });
  const { secret } = await mfa.beginEnrollment(userId, { account: 'dump@example.com' });
  const confirmed = await mfa.confirmEnrollment(userId, generateTotp(secret, { now }));
  if (!confirmed.ok || confirmed.recoveryCodes === undefined) throw new Error('confirm failed');
  const second = await mfa.beginEnrollment(userId, { account: 'dump@example.com', label: 'Tablet' });
  expect((await mfa.confirmEnrollment(userId, generateTotp(second.secret, { now }))).ok).toBe(true);
  now += 30_000;
  expect((await mfa.verify(userId, generateTotp(secret, { now }))).ok).toBe(true);
  expect((await mfa.verify(userId, confirmed.recoveryCodes[0]!)).ok).toBe(true);
  expect((await mfa.verify(userId, '000000')).ok).toBe(false); // leaves an attempts row/key behind
  now += 30_000;
  const fresh = await mfa.regenerateRecoveryCodes(userId, { code: generateTotp(secret, { now }) });
  if (!fresh.ok) throw new Error(`regenerate failed: ${fresh.reason}`);
  const regenerated = fresh.recoveryCodes;
  const viewed = await mfa.viewRecoveryCodes(userId, { code: regenerated[9]! });
  expect(viewed).toEqual({ ok: true, recoveryCodes: regenerated.slice(0, 9), createdAt: fresh.createdAt });
  // E-mail codes: one verified, one left waiting; neither the codes nor the destinations may be stored.
  const sent: string[] = [];
  const destinations = ['jane.doe+mfa@example.com', '+15550100123'];
  for (const destination of destinations) {
    await mfa.sendCode(userId, { purpose: 'email:verify', destination, send: ({ code }) => void sent.push(code) });
  }
  expect(await mfa.verifyCode(userId, { purpose: 'email:verify', destination: destinations[0]!, code: sent[0]! })).toEqual({ ok: true });
  const { token } = await mfa.createChallenge(userId);
  // A second user left pending: its sealed secret must not leak either.
  const pending = await mfa.beginEnrollment(`${userId}-pending`, { account: 'p@example.com' });
  return needles(secret, confirmed.recoveryCodes).concat(needles(second.secret, []), needles(pending.secret, regenerated), destinations, [token]).concat(sent.map((c) => `code:${c}`));
}

function expectNoNeedle(dump: string, found: string[]): void {
  expect(dump.length).toBeGreaterThan(200); // the dump really holds the flow's rows
  // An e-mail code is six digits: look for it as a number of its own, not inside a timestamp.
  const leaks = found.filter((n) => (n.startsWith('code:') ? new RegExp(`(?<![0-9])${n.slice(5)}(?![0-9])`).test(dump) : dump.includes(n)));
  expect(leaks, 'secret material found in the store dump').toEqual([]);
}

describe('MemoryStore holds no secret in plaintext', () => {
  test('its whole dump after a full flow', async () => {
    const store = createMemoryStore();
    const found = await fullFlow(store, 'dump-memory');
    expectNoNeedle(store.dump(), found);
  });
});

describe.skipIf(pgUrl === '')(`Postgres holds no secret in plaintext${skipReason ? ` (${skipReason})` : ''}`, () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
    pool.on('error', () => {});
  });
  afterAll(async () => {
    await pool?.end();
  });

  test('every row of every table after a full flow', async () => {
    const prefix = uniquePrefix('dump');
    const store = createPostgresStore(pool, { tablePrefix: prefix });
    await store.migrate();
    const found = await fullFlow(store, `dump-${Date.now()}`);
    // Every table the server has in public, not only ours.
    const { rows: tables } = await pool.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public'`);
    let dump = '';
    for (const { t } of tables) {
      const { rows } = await pool.query<{ r: string }>(`SELECT x::text AS r FROM ${t} AS x`);
      dump += `${t}\n${rows.map((r) => r.r).join('\n')}\n`;
    }
    expect(dump).toContain(`${prefix}factors`);
    expectNoNeedle(dump, found);
  });
});

describe.skipIf(redisUrl === '')(`Redis holds no secret in plaintext${skipReason ? ` (${skipReason})` : ''}`, () => {
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    client = createClient({ url: redisUrl, disableOfflineQueue: true });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(() => {
    client?.destroy();
  });

  test('every key and value after a full flow', async () => {
    const prefix = uniquePrefix('dump').replace(/_$/, ':');
    const found = await fullFlow(createRedisStore(client, { keyPrefix: prefix }), `dump-${Date.now()}`);
    let dump = '';
    let ours = 0;
    for await (const keys of client.scanIterator({ COUNT: 1000 })) {
      for (const key of keys) {
        if (key.startsWith(prefix)) ours++;
        const type = String(await client.type(key));
        const value =
          type === 'hash' ? await client.hGetAll(key)
          : type === 'set' ? await client.sMembers(key)
          : type === 'string' ? await client.get(key)
          : type === 'list' ? await client.lRange(key, 0, -1)
          : type === 'zset' ? await client.zRange(key, 0, -1)
          : `(${type})`;
        dump += `${key} ${JSON.stringify(value)}\n`;
      }
    }
    expect(ours).toBeGreaterThanOrEqual(4); // factor, recovery set, attempts, pending factor
    expectNoNeedle(dump, found);
  });
});

describe.skipIf(mysqlUrl === '')(`MySQL/MariaDB holds no secret in plaintext${mysqlSkipReason ? ` (${mysqlSkipReason})` : ''}`, () => {
  let pool: mysql.Pool;
  beforeAll(() => {
    pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 2 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  test('every row of every table after a full flow', async () => {
    const prefix = uniquePrefix('dump');
    const store = createMysqlStore(pool, { tablePrefix: prefix });
    await store.migrate();
    const found = await fullFlow(store, `dump-${Date.now()}`);
    // Every table of the database, not only ours; VARBINARY shown as the UTF-8 text it holds.
    const [tables] = await pool.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`);
    const asText = (_k: string, v: unknown): unknown => (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('utf8') : v);
    let dump = '';
    for (const { t } of tables as { t: string }[]) {
      const [rows] = await pool.query(`SELECT * FROM \`${t}\``);
      dump += `${t}\n${(rows as unknown[]).map((r) => JSON.stringify(r, asText)).join('\n')}\n`;
    }
    expect(dump).toContain(`${prefix}factors`);
    expectNoNeedle(dump, found);
  });
});
