import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MfaError } from '../errors.js';
import { defineStore } from '../store/define.js';
import type {
  AttemptReservation,
  ChallengeRecord,
  CodeRecord,
  DeviceRecord,
  FactorRecord,
  MfaStore,
  StoreImplementation,
  ThrottleSchedule,
} from '../store/types.js';

/**
 * A Redis client the adapter can drive without importing a driver, detected
 * by shape: ioredis `Redis` or `Cluster` (`call(command, args)`), a node-redis
 * v4/v5 cluster from `createCluster` (`sendCommand(firstKey, isReadonly, args)`
 * beside `getSlotMaster`), or a node-redis client from `createClient`
 * (`sendCommand(args)`).
 */
export type RedisClient =
  | { call(command: string, args: string[]): Promise<unknown> }
  | { sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>; getSlotMaster(slot: number): unknown }
  | { sendCommand(args: string[]): Promise<unknown> };

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key. @default 'mfakit:' */
  keyPrefix?: string;
  /**
   * How long records that expire (pending factors, e-mail/SMS codes, sign-in
   * challenges, trusted devices) are kept past their own expiry before Redis drops them.
   * Expiry itself is always decided against the `now` the flows pass in;
   * this margin only keeps Redis' clock, which may differ from the app
   * servers', from dropping a record the flows still consider live.
   * @default 3_600_000 (one hour)
   */
  retainExpiredMs?: number;
}

/** A {@link MfaStore} over Redis, with the adapter's own extras. */
export interface RedisStore extends MfaStore {
  /** The key prefix in use (the one given to {@link createRedisStore}, or its default), for hosts that scan or clean up this store's keys. */
  readonly keyPrefix: string;
}

/**
 * Creates an {@link MfaStore} over Redis 6.2+ or Redis Cluster. Every method
 * is one Lua script (`EVALSHA`, re-sent as `EVAL` when a node answers
 * `NOSCRIPT`) or one command, so each is atomic; a right TOTP code costs 2
 * round trips (`beginAttempt`, `advanceCounter`) and a wrong one 1.
 *
 * Every key of a user carries the same hash tag, `{userId}` with `%`, `{` and
 * `}` percent-encoded, so every script touches one slot and Redis Cluster
 * works; the only other key is the sign-in challenge, a single key of its own.
 * A user's keys are fixed (`factors`, `attempts`, `recovery`, `codes`,
 * `devices`), so deleting a user needs no index. See docs/store-adapters.md
 * for the layout. Listing the enrolled users would need an index across
 * users, a key of its own in another slot: this store declares
 * `supports.listing: false` (docs/store-adapters.md shows how a host can
 * build the administrator's view).
 *
 * Errors of the client reject the promise unchanged; `createMfa` turns them
 * into `MfaError('STORE_UNAVAILABLE')`. Create a node-redis client with
 * `disableOfflineQueue: true` so a call made while the connection is down
 * fails at once instead of waiting for a reconnect.
 *
 * @param client - a connected node-redis v4/v5 client or cluster, or an ioredis `Redis` or `Cluster`
 * @param opts - `keyPrefix`, `retainExpiredMs`
 * @returns the store, with `supports: { oneTime: true, devices: true, listing: false }` and `keyPrefix`
 * @throws {MfaError} `INVALID_CONFIG` when `client` is not a Redis client of a known shape, or an option is invalid
 * @example
 * import { createCluster } from 'redis';
 * import { createMfa } from 'mfakit';
 * import { createRedisStore } from 'mfakit/redis';
 * const redis = await createCluster({ rootNodes: [{ url: 'redis://10.0.0.1:6379' }] }).connect();
 * const mfa = createMfa({ store: createRedisStore(redis), issuer: 'ACME', secretKeys, pepper });
 */
export function createRedisStore(client: RedisClient, opts: RedisStoreOptions = {}): RedisStore {
  const send = sender(client);
  if (typeof opts !== 'object' || opts === null) throw new MfaError('INVALID_CONFIG', 'createRedisStore: options must be an object');
  if ('keyPrefix' in opts && typeof opts.keyPrefix !== 'string') throw new MfaError('INVALID_CONFIG', 'keyPrefix must be a string');
  const prefix = opts.keyPrefix ?? 'mfakit:';
  if (prefix.length > 200) throw new MfaError('INVALID_CONFIG', 'keyPrefix must be at most 200 characters');
  if ('retainExpiredMs' in opts && opts.retainExpiredMs === undefined) throw new MfaError('INVALID_CONFIG', 'retainExpiredMs is present but undefined');
  const retain = opts.retainExpiredMs ?? 3_600_000;
  if (!Number.isSafeInteger(retain) || retain < 0) throw new MfaError('INVALID_CONFIG', 'retainExpiredMs must be a non-negative integer');
  const keep = String(retain);

  const keys = userKeys(prefix);
  const challengeKey = (id: string): string => `${prefix}challenge:${id}`;

  const run = async (script: Script, keyList: readonly string[], args: readonly string[]): Promise<unknown> => {
    const tail = [String(keyList.length), ...keyList, ...args];
    const first = keyList[0] as string;
    try {
      return await send(first, ['EVALSHA', script.sha, ...tail]);
    } catch (err) {
      // The script cache is per node and lost on restart or SCRIPT FLUSH: EVAL
      // reaches the same node (same first key) and caches the script there again.
      if (!isNoScript(err)) throw err;
      return send(first, ['EVAL', script.text, ...tail]);
    }
  };

  const impl: StoreImplementation = {
    supports: { oneTime: true, devices: true, listing: false },

    async getUser(userId) {
      const k = keys(userId);
      const r = (await run(GET_USER, [k.factors, k.attempts, k.recovery], [])) as Reply[];
      return {
        factors: readFactors(userId, r, 3),
        attempts: { failures: Number(r[1]), lockedUntil: toTime(r[2]) },
        recoveryCodes: Number(r[0]),
      };
    },

    async putPendingFactor(record, { now, maxFactors, replace }) {
      const args = [record.id, writeFactor(record), record.label, String(now), String(maxFactors), replace ? '1' : '0', String(record.expiresAt), keep];
      const r = (await run(PUT_PENDING, [keys(record.userId).factors], args)) as Reply[];
      if (r[0] === 'limit') return { ok: false, reason: 'limit' };
      if (r[0] === 'found') return { ok: true, factor: readFactor(record.userId, String(r[1]), String(r[2])) };
      return { ok: true, factor: record };
    },

    async activateFactor(userId, factorId, { counter, now, meta, recovery }) {
      const k = keys(userId);
      const args = [factorId, String(counter), String(now), meta, recovery.sealed ?? '', ...recovery.digests];
      const r = (await run(ACTIVATE, [k.factors, k.attempts, k.recovery, k.sealed], args)) as Reply[] | null;
      return r === null ? null : { recoveryCodes: Number(r[0]), recoveryCodesIssued: Number(r[1]) === 1 };
    },

    async advanceCounter(userId, factorId, counter, now) {
      const k = keys(userId);
      const r = (await run(ADVANCE, [k.factors, k.attempts, k.recovery], [factorId, String(counter), String(now)])) as Reply;
      return r === null || r === undefined ? null : { recoveryCodes: Number(r) };
    },

    async renameFactor(userId, factorId, label) {
      return Number(await run(RENAME, [keys(userId).factors], [factorId, label])) === 1;
    },

    async resealFactor(userId, factorId, expected, sealed) {
      return Number(await run(RESEAL, [keys(userId).factors], [factorId, expected, sealed])) === 1;
    },

    async removeFactor(userId, factorId) {
      const r = (await run(REMOVE_FACTOR, keys(userId).all, [factorId])) as Reply[];
      return { removed: Number(r[0]) === 1, disabled: Number(r[1]) === 1 };
    },

    async deleteUser(userId) {
      return Number(await run(DELETE_USER, keys(userId).all, [])) === 1;
    },

    async beginAttempt(userId, state, now, schedule) {
      const k = keys(userId);
      const r = (await run(BEGIN_ATTEMPT, [k.factors, k.attempts], [state, String(now), ...scheduleArgs(schedule)])) as Reply[];
      if (r.length === 0) return { factors: [], reservation: null };
      return { factors: readFactors(userId, r, 4), reservation: readReservation(r) };
    },

    async refundAttempt(userId, schedule) {
      await run(REFUND, [keys(userId).attempts], [scheduleArgs(schedule)[0]]);
    },

    async replaceRecoveryCodes(userId, { digests, sealed }) {
      const k = keys(userId);
      return Number(await run(REPLACE_RECOVERY, [k.factors, k.recovery, k.sealed], [sealed ?? '', ...digests])) === 1;
    },

    async getRecoveryCodes(userId) {
      const k = keys(userId);
      const [sealed, ...digests] = (await run(GET_RECOVERY, [k.recovery, k.sealed], [])) as Reply[];
      return { digests: digests.map(String), sealed: typeof sealed === 'string' && sealed !== '' ? sealed : null };
    },

    async consumeRecoveryCode(userId, digest) {
      const k = keys(userId);
      const r = (await run(CONSUME_RECOVERY, [k.recovery, k.attempts], [digest])) as Reply;
      return r === null || r === undefined ? null : { recoveryCodes: Number(r) };
    },

    async putCode(record, cooldownMs) {
      const args = [record.id, writeCode(record), String(record.createdAt), String(record.expiresAt), String(cooldownMs), keep];
      const r = (await run(PUT_CODE, [keys(record.userId).codes], args)) as Reply;
      return r === null || r === undefined ? { ok: true } : { ok: false, blockedSince: Number(r) };
    },

    async beginCodeAttempt(userId, id, now, schedule) {
      const k = keys(userId);
      const r = (await run(BEGIN_CODE, [k.codes, k.attempts], [id, String(now), ...scheduleArgs(schedule)])) as Reply[];
      if (r.length === 0) return { code: null, reservation: null };
      return { code: readCode(userId, id, String(r[4])), reservation: readReservation(r) };
    },

    async acceptCode(userId, id, schedule) {
      const k = keys(userId);
      return Number(await run(ACCEPT_CODE, [k.codes, k.attempts], [id, scheduleArgs(schedule)[0]])) === 1;
    },

    async deleteCode(userId, id) {
      const key = keys(userId).codes;
      return Number(await send(key, ['HDEL', key, id])) === 1;
    },

    async putChallenge(record) {
      const args = [record.userId, String(record.createdAt), String(record.expiresAt), String(record.attemptsLeft), keep];
      await run(PUT_CHALLENGE, [challengeKey(record.id)], args);
    },

    async spendChallenge(id, now) {
      const r = (await run(SPEND_CHALLENGE, [challengeKey(id)], [String(now)])) as Reply[] | null;
      if (r === null) return null;
      return { id, userId: String(r[0]), createdAt: Number(r[1]), expiresAt: Number(r[2]), attemptsLeft: Number(r[3]) } satisfies ChallengeRecord;
    },

    async deleteChallenge(id) {
      const key = challengeKey(id);
      return Number(await send(key, ['DEL', key])) === 1;
    },

    async putDevice(record) {
      const args = [record.id, writeDevice(record), String(record.createdAt), String(record.expiresAt), keep];
      await run(PUT_DEVICE, [keys(record.userId).devices], args);
    },

    async touchDevice(userId, id, now) {
      const r = (await run(TOUCH_DEVICE, [keys(userId).devices], [id, String(now)])) as Reply;
      return r === null || r === undefined ? null : readDevice(userId, id, String(r));
    },

    async listDevices(userId, now) {
      const key = keys(userId).devices;
      const all = (await send(key, ['HGETALL', key])) as string[] | Record<string, string>;
      // node-redis may answer HGETALL with an object, ioredis' `call` with a flat list.
      const pairs = Array.isArray(all) ? pairsOf(all) : Object.entries(all);
      return pairs.map(([id, json]) => readDevice(userId, id, json)).filter((d) => d.expiresAt > now);
    },

    async revokeDevice(userId, id) {
      const key = keys(userId).devices;
      return Number(await send(key, ['HDEL', key, id])) === 1;
    },

    async revokeAllDevices(userId) {
      return Number(await run(REVOKE_ALL_DEVICES, [keys(userId).devices], []));
    },
  };

  return defineStore(impl, { keyPrefix: prefix });
}

/**
 * The hash tag of a user: the id with `%`, `{` and `}` percent-encoded, so it
 * holds no `}` (which would end the tag early: id `}x` would give an empty
 * tag and scatter the user's keys across slots) and two ids never share one.
 * A user id is never empty, so neither is the tag.
 */
function userHashTag(userId: string): string {
  return `{${userId.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'))}}`;
}

function userKeys(prefix: string) {
  return (userId: string) => {
    const base = prefix + userHashTag(userId);
    const k = { factors: `${base}:factors`, attempts: `${base}:attempts`, recovery: `${base}:recovery`, sealed: `${base}:recovery-sealed`, codes: `${base}:codes`, devices: `${base}:devices` };
    return { ...k, all: [k.factors, k.attempts, k.recovery, k.sealed, k.codes, k.devices] as const };
  };
}

type Reply = string | number | null | undefined;
type Send = (firstKey: string, args: string[]) => Promise<unknown>;

interface Script {
  text: string;
  sha: string;
}

function sender(client: RedisClient): Send {
  const c = client as { call?: unknown; sendCommand?: unknown; getSlotMaster?: unknown } | null;
  if (typeof c === 'object' && c !== null) {
    // ioredis (Redis and Cluster) has both; its sendCommand takes a Command object, so `call` goes first.
    // Its Cluster routes EVALSHA by the first key itself.
    if (typeof c.call === 'function') {
      const call = c.call.bind(c) as (command: string, args: string[]) => Promise<unknown>;
      return (_key, args) => call(args[0] as string, args.slice(1));
    }
    if (typeof c.sendCommand === 'function') {
      // A node-redis cluster routes by the key it is given; its clients take the arguments alone.
      if (typeof c.getSlotMaster === 'function') {
        const sendCommand = c.sendCommand.bind(c) as (key: string, readonly: boolean, args: string[]) => Promise<unknown>;
        return (key, args) => sendCommand(key, false, args);
      }
      const sendCommand = c.sendCommand.bind(c) as (args: string[]) => Promise<unknown>;
      return (_key, args) => sendCommand(args);
    }
  }
  throw new MfaError('INVALID_CONFIG', 'createRedisStore: client must be a node-redis client or cluster (sendCommand) or an ioredis Redis or Cluster (call)');
}

function isNoScript(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}

function toTime(value: Reply): number | null {
  return value === null || value === undefined || value === '' ? null : Number(value);
}

// Schedules are made once by createMfa and passed on every attempt: join each once.
const joinedSchedules = new WeakMap<ThrottleSchedule, [string, string]>();

/** The schedule as two script arguments: the lock durations joined by commas, and `suspendAfter`. */
function scheduleArgs(schedule: ThrottleSchedule): [string, string] {
  let args = joinedSchedules.get(schedule);
  if (args === undefined) joinedSchedules.set(schedule, (args = [schedule.locks.join(','), String(schedule.suspendAfter)]));
  return args;
}

function readReservation(r: Reply[]): AttemptReservation {
  return { allowed: Number(r[0]) === 1, failures: Number(r[1]), lockedUntil: toTime(r[2]), suspended: Number(r[3]) === 1 };
}

// Records are JSON with every number as a decimal string: Lua numbers are
// doubles and cjson writes them with 14 significant digits, so a script only
// ever compares numbers (tonumber is exact up to 2^53) and stores strings it
// was given. The factor id and the user are the hash field and key, not repeated.

interface StoredFactor {
  kind: string;
  label: string;
  state: 'pending' | 'active';
  secret: string;
  counter: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  meta: string;
}

function writeFactor(f: FactorRecord): string {
  const stored: StoredFactor = {
    kind: f.kind,
    label: f.label,
    state: f.state,
    secret: f.secret,
    counter: String(f.counter),
    createdAt: String(f.createdAt),
    expiresAt: f.expiresAt === null ? null : String(f.expiresAt),
    lastUsedAt: f.lastUsedAt === null ? null : String(f.lastUsedAt),
    meta: f.meta,
  };
  return JSON.stringify(stored);
}

function readFactor(userId: string, id: string, text: string): FactorRecord {
  const s = JSON.parse(text) as StoredFactor;
  return {
    id,
    userId,
    kind: s.kind,
    label: s.label,
    state: s.state,
    secret: s.secret,
    counter: Number(s.counter),
    createdAt: Number(s.createdAt),
    expiresAt: s.expiresAt === null ? null : Number(s.expiresAt),
    lastUsedAt: s.lastUsedAt === null ? null : Number(s.lastUsedAt),
    meta: s.meta,
  };
}

/** Factors from `r[from…]` as id/JSON pairs, oldest first (ties by id): a Redis hash has no order of its own. */
function readFactors(userId: string, r: Reply[], from: number): FactorRecord[] {
  const factors: FactorRecord[] = [];
  for (let i = from; i + 1 < r.length; i += 2) factors.push(readFactor(userId, String(r[i]), String(r[i + 1])));
  return factors.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

interface StoredCode {
  digest: string;
  createdAt: string;
  expiresAt: string;
  attemptsLeft: string;
}

function writeCode(c: CodeRecord): string {
  const stored: StoredCode = { digest: c.digest, createdAt: String(c.createdAt), expiresAt: String(c.expiresAt), attemptsLeft: String(c.attemptsLeft) };
  return JSON.stringify(stored);
}

function readCode(userId: string, id: string, text: string): CodeRecord {
  const s = JSON.parse(text) as StoredCode;
  return { id, userId, digest: s.digest, createdAt: Number(s.createdAt), expiresAt: Number(s.expiresAt), attemptsLeft: Number(s.attemptsLeft) };
}

interface StoredDevice {
  label: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string | null;
}

function writeDevice(d: DeviceRecord): string {
  const stored: StoredDevice = { label: d.label, createdAt: String(d.createdAt), expiresAt: String(d.expiresAt), lastSeenAt: d.lastSeenAt === null ? null : String(d.lastSeenAt) };
  return JSON.stringify(stored);
}

function readDevice(userId: string, id: string, text: string): DeviceRecord {
  const s = JSON.parse(text) as StoredDevice;
  return { id, userId, label: s.label, createdAt: Number(s.createdAt), expiresAt: Number(s.expiresAt), lastSeenAt: s.lastSeenAt === null ? null : Number(s.lastSeenAt) };
}

/** A flat `[field, value, …]` reply as pairs. */
function pairsOf(flat: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), String(flat[i + 1])]);
  return pairs;
}

// ---------------------------------------------------------------------------
// Lua. Every script names its keys in KEYS; ARGV holds values only. Redis
// turns a nil reply into Lua `false`, hence `or` defaults after HGET/HMGET.
// Computed times go through '%.0f' (tostring would print 9.007199254741e+15).

/** Helpers shared by the scripts that reserve or refund an attempt. */
const ATTEMPTS = `
local function lockFor(locks, failures)
  local i, last = 0, '0'
  for v in string.gmatch(locks, '[^,]+') do
    if i == failures then return tonumber(v) end
    last = v
    i = i + 1
  end
  return tonumber(last)
end
local function reserve(key, now, locks, suspend)
  local a = redis.call('HMGET', key, 'failures', 'lockedUntil')
  local failures = tonumber(a[1]) or 0
  local locked = a[2] or ''
  if failures >= suspend then return {0, failures, locked, 1} end
  if locked ~= '' and tonumber(locked) > now then return {0, failures, locked, 0} end
  failures = failures + 1
  local lock = lockFor(locks, failures)
  if lock > 0 then locked = string.format('%.0f', now + lock) end
  redis.call('HSET', key, 'failures', failures, 'lockedUntil', locked)
  local suspended = 0
  if failures >= suspend then suspended = 1 end
  return {1, failures, locked, suspended}
end
local function refund(key, locks)
  local failures = tonumber(redis.call('HGET', key, 'failures')) or 0
  if failures == 0 then return end
  failures = failures - 1
  if failures == 0 then
    redis.call('DEL', key)
  elseif lockFor(locks, failures) == 0 then
    redis.call('HSET', key, 'failures', failures, 'lockedUntil', '')
  else
    redis.call('HSET', key, 'failures', failures)
  end
end
`;

/** Whether the factors hash holds an active factor. */
// Replaces a user's recovery set: the digests from ARGV[from…], the sealed copy unless ''.
const SET_RECOVERY = `
local function set_recovery(set, sealed, copy, from)
  redis.call('DEL', set, sealed)
  if #ARGV >= from then redis.call('SADD', set, unpack(ARGV, from)) end
  if copy ~= '' then redis.call('SET', sealed, copy) end
end
`;

const HAS_ACTIVE = `
local function hasActive(key)
  for _, v in ipairs(redis.call('HVALS', key)) do
    if cjson.decode(v).state == 'active' then return true end
  end
  return false
end
`;

/** The TTL of a key holding records that expire at `latest`, as seen at `now`. */
const TTL = `
local function ttl(latest, now, keep)
  return string.format('%.0f', math.max(latest - now, 0) + keep + 1)
end
`;

// Stores one JSON record in a user's hash of expiring records (codes, devices),
// sweeping the ones expired at `created`; the key lives as long as the latest one.
const PUT_SWEEPING = `${TTL}
local function put_sweeping(key, id, json, created, latest, keep)
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if all[i] ~= id then
      local e = tonumber(cjson.decode(all[i + 1]).expiresAt)
      if e <= created then redis.call('HDEL', key, all[i]) elseif e > latest then latest = e end
    end
  end
  redis.call('HSET', key, id, json)
  redis.call('PEXPIRE', key, ttl(latest, created, keep))
end
`;

function script(text: string): Script {
  return { text, sha: bytesToHex(sha1(utf8ToBytes(text))) };
}

// KEYS: factors, attempts, recovery → {recovery codes, failures, lockedUntil, id, json, …}
const GET_USER = script(`
local a = redis.call('HMGET', KEYS[2], 'failures', 'lockedUntil')
local out = {redis.call('SCARD', KEYS[3]), a[1] or '0', a[2] or ''}
for _, x in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = x end
return out`);

// KEYS: factors. ARGV: id, json, label, now, maxFactors, replace, expiresAt, keep.
// While the user has no active factor the hash expires after its last pending factor.
const PUT_PENDING = script(`${TTL}
local now = tonumber(ARGV[4])
local live, active, found = 0, 0, nil
local latest = tonumber(ARGV[7])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f = cjson.decode(all[i + 1])
  local e = tonumber(f.expiresAt)
  if f.state == 'active' then
    live = live + 1
    active = active + 1
  elseif e ~= nil and e <= now then
    redis.call('HDEL', KEYS[1], all[i])
  elseif f.label == ARGV[3] then
    if ARGV[6] == '1' then redis.call('HDEL', KEYS[1], all[i]) elseif found == nil then found = i end
  else
    live = live + 1
    if e ~= nil and e > latest then latest = e end
  end
end
if found ~= nil then return {'found', all[found], all[found + 1]} end
if live >= tonumber(ARGV[5]) then return {'limit'} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if active == 0 then redis.call('PEXPIRE', KEYS[1], ttl(latest, now, tonumber(ARGV[8]))) end
return {'ok'}`);

// KEYS: factors, attempts, recovery, recovery-sealed. ARGV: id, counter, now, meta, sealed set or '', digests…
// → {recovery codes, issued} or nil
const ACTIVATE = script(`${HAS_ACTIVE}${SET_RECOVERY}
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
local f = cjson.decode(v)
local e = tonumber(f.expiresAt)
if f.state ~= 'pending' or e == nil or e <= tonumber(ARGV[3]) then return false end
local first = not hasActive(KEYS[1])
f.state = 'active'
f.counter = ARGV[2]
f.expiresAt = cjson.null
f.lastUsedAt = ARGV[3]
f.meta = ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(f))
redis.call('PERSIST', KEYS[1])
redis.call('DEL', KEYS[2])
if first then
  set_recovery(KEYS[3], KEYS[4], ARGV[5], 6)
  return {redis.call('SCARD', KEYS[3]), 1}
end
return {redis.call('SCARD', KEYS[3]), 0}`);

// KEYS: factors, attempts, recovery. ARGV: id, counter, now → recovery codes or nil
const ADVANCE = script(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
local f = cjson.decode(v)
if f.state ~= 'active' or not (tonumber(ARGV[2]) > tonumber(f.counter)) then return false end
f.counter = ARGV[2]
f.lastUsedAt = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(f))
redis.call('DEL', KEYS[2])
return redis.call('SCARD', KEYS[3])`);

// KEYS: factors. ARGV: id, label
const RENAME = script(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local f = cjson.decode(v)
f.label = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(f))
return 1`);

// KEYS: factors. ARGV: id, expected, sealed
const RESEAL = script(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local f = cjson.decode(v)
if f.secret ~= ARGV[2] then return 0 end
f.secret = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(f))
return 1`);

// KEYS: every key of the user (factors first). ARGV: id → {removed, disabled}
const REMOVE_FACTOR = script(`${HAS_ACTIVE}
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return {0, 0} end
if hasActive(KEYS[1]) then return {1, 0} end
redis.call('DEL', unpack(KEYS))
return {1, 1}`);

// KEYS: every key of the user (factors first) → whether a factor existed
const DELETE_USER = script(`
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', unpack(KEYS))
return existed`);

// KEYS: factors, attempts. ARGV: state, now, locks, suspendAfter
// → {} or {allowed, failures, lockedUntil, suspended, id, json, …}
const BEGIN_ATTEMPT = script(`${ATTEMPTS}
local now = tonumber(ARGV[2])
local found = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f = cjson.decode(all[i + 1])
  if f.state == ARGV[1] then
    local e = tonumber(f.expiresAt)
    if ARGV[1] == 'active' or (e ~= nil and e > now) then
      found[#found + 1] = all[i]
      found[#found + 1] = all[i + 1]
    end
  end
end
if #found == 0 then return {} end
local out = reserve(KEYS[2], now, ARGV[3], tonumber(ARGV[4]))
for _, x in ipairs(found) do out[#out + 1] = x end
return out`);

// KEYS: attempts. ARGV: locks
const REFUND = script(`${ATTEMPTS}
refund(KEYS[1], ARGV[1])
return 1`);

// KEYS: factors, recovery, recovery-sealed. ARGV: sealed set or '', digests…
const REPLACE_RECOVERY = script(`${HAS_ACTIVE}${SET_RECOVERY}
if not hasActive(KEYS[1]) then return 0 end
set_recovery(KEYS[2], KEYS[3], ARGV[1], 2)
return 1`);

// KEYS: recovery, recovery-sealed → {sealed set or '', digests…}
const GET_RECOVERY = script(`
local out = {redis.call('GET', KEYS[2]) or ''}
for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do out[#out + 1] = d end
return out`);

// KEYS: recovery, attempts. ARGV: digest → recovery codes left, or nil
const CONSUME_RECOVERY = script(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return false end
redis.call('DEL', KEYS[2])
return redis.call('SCARD', KEYS[1])`);

// KEYS: codes. ARGV: id, json, createdAt, expiresAt, cooldownMs, keep → nil, or the blocking code's createdAt.
// Codes that expired go when the next one is stored; the hash expires after its last code.
const PUT_CODE = script(`${PUT_SWEEPING}
local created = tonumber(ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local o = cjson.decode(old)
  if tonumber(o.expiresAt) > created and created - tonumber(o.createdAt) < tonumber(ARGV[5]) then return o.createdAt end
end
put_sweeping(KEYS[1], ARGV[1], ARGV[2], created, tonumber(ARGV[4]), tonumber(ARGV[6]))
return false`);

// KEYS: codes, attempts. ARGV: id, now, locks, suspendAfter → {} or {allowed, failures, lockedUntil, suspended, json}
const BEGIN_CODE = script(`${ATTEMPTS}
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return {} end
local c = cjson.decode(v)
local now = tonumber(ARGV[2])
local left = tonumber(c.attemptsLeft)
if tonumber(c.expiresAt) <= now then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return {}
end
-- An exhausted code stays until it expires: the answer that took its last try may still be right.
if left <= 0 then return {} end
local out = reserve(KEYS[2], now, ARGV[3], tonumber(ARGV[4]))
if out[1] == 1 then
  c.attemptsLeft = tostring(left - 1)
  v = cjson.encode(c)
  redis.call('HSET', KEYS[1], ARGV[1], v)
end
out[5] = v
return out`);

// KEYS: codes, attempts. ARGV: id, locks
const ACCEPT_CODE = script(`${ATTEMPTS}
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
refund(KEYS[2], ARGV[2])
return 1`);

// KEYS: challenge. ARGV: userId, createdAt, expiresAt, attemptsLeft, keep
const PUT_CHALLENGE = script(`${TTL}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'userId', ARGV[1], 'createdAt', ARGV[2], 'expiresAt', ARGV[3], 'attemptsLeft', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl(tonumber(ARGV[3]), tonumber(ARGV[2]), tonumber(ARGV[5])))
return 1`);

// KEYS: challenge. ARGV: now → {userId, createdAt, expiresAt, attemptsLeft} or nil
const SPEND_CHALLENGE = script(`
local c = redis.call('HMGET', KEYS[1], 'userId', 'createdAt', 'expiresAt', 'attemptsLeft')
if not c[1] then return false end
local left = tonumber(c[4])
if tonumber(c[3]) <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return false
end
-- An exhausted challenge stays until it expires: the answer that took its last try may still consume it.
if left <= 0 then return false end
left = left - 1
redis.call('HSET', KEYS[1], 'attemptsLeft', left)
return {c[1], c[2], c[3], tostring(left)}`);

// KEYS: devices. ARGV: id, json, createdAt, expiresAt, keep.
// Devices that expired go when the next one is stored; the hash expires after its last device.
const PUT_DEVICE = script(`${PUT_SWEEPING}
put_sweeping(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
return 1`);

// KEYS: devices. ARGV: id, now → the device's json after the touch, or nil (an expired one is deleted)
const TOUCH_DEVICE = script(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
local d = cjson.decode(v)
if tonumber(d.expiresAt) <= tonumber(ARGV[2]) then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return false
end
d.lastSeenAt = ARGV[2]
v = cjson.encode(d)
redis.call('HSET', KEYS[1], ARGV[1], v)
return v`);

// KEYS: devices → how many there were
const REVOKE_ALL_DEVICES = script(`
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return n`);
