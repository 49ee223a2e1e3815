import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MfaError } from '../errors.js';
import type {
  AttemptReservation,
  AttemptState,
  ChallengeConsumeResult,
  FactorRecord,
  MfaStore,
} from '../store/types.js';

/**
 * A Redis client the adapter can drive without importing a driver: the
 * official `redis` client (v4/v5, `sendCommand(args)`) or ioredis
 * (`call(command, args)`). Cluster clients are not supported: some scripts
 * touch keys of one user that live in different slots.
 */
export type RedisClient =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, args: string[]): Promise<unknown> };

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key. @default 'mfakit:' */
  keyPrefix?: string;
  /**
   * How long pending factors and challenges are kept after they expire, so a
   * late answer is told `expired` rather than treated as unknown; Redis then
   * drops them by itself. Key TTLs are relative (`PEXPIRE`), computed from
   * the times the flows pass in, never from the Redis server's clock.
   * @default 3_600_000 (one hour)
   */
  retainExpiredMs?: number;
  /**
   * When set, a user's failure counter expires this long after the lock in
   * force ends (or after the failure, when not locked). A suspended counter
   * (failures ≥ `suspendAfter`) never expires: only `deleteUser` ends it.
   * Off by default, because an expiring counter lets a patient attacker
   * restart the count of consecutive failures that NIST SP 800-63B §5.2.2
   * caps at 100; without it a counter lives until the next success or
   * reset, one small hash per user at most.
   * @default undefined (counters never expire)
   */
  attemptsTtlMs?: number;
}

/**
 * Creates an {@link MfaStore} over Redis 6.2+. Every method that
 * reads and writes is one Lua script (`EVALSHA`, falling back to `EVAL` when
 * the server's script cache was flushed), so it is atomic on one server;
 * the others are one command (`SREM` consumes a recovery code).
 *
 * Key layout (prefix `mfakit:` by default): `factor:{userId}` hash,
 * `recovery:{userId}` set of digests, `attempts:{userId}` hash,
 * `challenge:{id}` hash and `user-challenges:{userId}` set of challenge ids.
 * Pending factors and challenges expire `retainExpiredMs` after their own
 * expiry; active factors and recovery sets live until `deleteUser`.
 *
 * Errors of the client reject the promise unchanged; the flows of
 * `createMfa` turn them into `MfaError('STORE_UNAVAILABLE')`. Create the
 * `redis` client with `disableOfflineQueue: true` so a call made while the
 * connection is down fails at once instead of waiting for a reconnect.
 *
 * @param client - a connected `redis` v4/v5 client or an ioredis instance
 * @param opts - `keyPrefix`, `retainExpiredMs`, `attemptsTtlMs`
 * @returns the store
 * @throws {MfaError} `INVALID_CONFIG` when `client` has neither `sendCommand` nor `call`, or an option is invalid
 * @example
 * import { createClient } from 'redis';
 * import { createMfa } from 'mfakit';
 * import { createRedisStore } from 'mfakit/redis';
 * const redis = await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }).connect();
 * const mfa = createMfa({ store: createRedisStore(redis), issuer: 'ACME', secretKeys, pepper });
 */
export function createRedisStore(client: RedisClient, opts: RedisStoreOptions = {}): MfaStore {
  const send = sender(client);
  if (typeof opts !== 'object' || opts === null) throw new MfaError('INVALID_CONFIG', 'createRedisStore: options must be an object');
  const prefix = opts.keyPrefix ?? 'mfakit:';
  if (typeof prefix !== 'string' || prefix.length > 200) throw new MfaError('INVALID_CONFIG', 'keyPrefix must be a string of at most 200 characters');
  const retain = opts.retainExpiredMs ?? 3_600_000;
  if (!Number.isSafeInteger(retain) || retain < 0) throw new MfaError('INVALID_CONFIG', 'retainExpiredMs must be a non-negative integer');
  const attemptsTtl = opts.attemptsTtlMs ?? -1;
  if (opts.attemptsTtlMs !== undefined && (!Number.isSafeInteger(attemptsTtl) || attemptsTtl < 0)) {
    throw new MfaError('INVALID_CONFIG', 'attemptsTtlMs must be a non-negative integer');
  }

  const key = {
    factor: (userId: string) => `${prefix}factor:${userId}`,
    recovery: (userId: string) => `${prefix}recovery:${userId}`,
    attempts: (userId: string) => `${prefix}attempts:${userId}`,
    challenge: (id: string) => `${prefix}challenge:${id}`,
    userChallenges: (userId: string) => `${prefix}user-challenges:${userId}`,
  };
  const challengePrefix = `${prefix}challenge:`;
  const userChallengesPrefix = `${prefix}user-challenges:`;

  const run = async (script: Script, keys: string[], args: readonly (string | number)[]): Promise<unknown> => {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await send(['EVALSHA', script.sha, ...tail]);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return send(['EVAL', script.text, ...tail]);
    }
  };
  const ttl = (from: number, to: number | null): number => Math.max((to ?? from) - from, 0) + retain + 1;

  return {
    async getFactor(userId) {
      const f = (await send(['HMGET', key.factor(userId), 'state', 'secret', 'createdAt', 'expiresAt', 'lastStep'])) as Reply[];
      if (!Array.isArray(f) || f[0] === null || f[0] === undefined) return null;
      return {
        userId,
        state: f[0] === 'active' ? 'active' : 'pending',
        secret: String(f[1]),
        createdAt: Number(f[2]),
        expiresAt: toTime(f[3]),
        lastStep: Number(f[4]),
      } satisfies FactorRecord;
    },

    async putPendingFactor(record) {
      if (record.state !== 'pending') throw new TypeError(`putPendingFactor expects a pending record, got state ${String(record.state)}`);
      const args = [record.secret, record.createdAt, record.expiresAt ?? '', record.lastStep, ttl(record.createdAt, record.expiresAt)];
      return Number(await run(PUT_PENDING, [key.factor(record.userId)], args)) === 1;
    },

    async activateFactor(userId, expectedSecret, step, now, recoveryHashes) {
      const keys = [key.factor(userId), key.recovery(userId)];
      return Number(await run(ACTIVATE, keys, [expectedSecret, step, now, ...recoveryHashes])) === 1;
    },

    async updateFactorSecret(userId, expectedSecret, newSecret) {
      return Number(await run(UPDATE_SECRET, [key.factor(userId)], [expectedSecret, newSecret])) === 1;
    },

    async deleteUser(userId) {
      const keys = [key.factor(userId), key.recovery(userId), key.attempts(userId), key.userChallenges(userId)];
      return Number(await run(DELETE_USER, keys, [challengePrefix, userId])) === 1;
    },

    async claimStep(userId, step) {
      return Number(await run(CLAIM_STEP, [key.factor(userId)], [step])) === 1;
    },

    async reserveAttempt(userId, now, policy): Promise<AttemptReservation> {
      const args = [now, policy.freeFailures, policy.baseLockMs, policy.maxLockMs, policy.suspendAfter, attemptsTtl];
      const r = (await run(RESERVE_ATTEMPT, [key.attempts(userId)], args)) as Reply[];
      const failures = Number(r[1]);
      return { allowed: Number(r[0]) === 1, failures, lockedUntil: toTime(r[2]), suspended: failures >= policy.suspendAfter };
    },

    async clearFailures(userId) {
      await send(['DEL', key.attempts(userId)]);
    },

    async getAttempts(userId): Promise<AttemptState> {
      const a = (await send(['HMGET', key.attempts(userId), 'failures', 'lockedUntil'])) as Reply[];
      return { failures: Number(a[0] ?? 0), lockedUntil: toTime(a[1]) };
    },

    async replaceRecoveryCodes(userId, hashes) {
      await run(REPLACE_RECOVERY, [key.recovery(userId)], hashes);
    },

    async consumeRecoveryCode(userId, hash) {
      return Number(await send(['SREM', key.recovery(userId), hash])) === 1;
    },

    async countRecoveryCodes(userId) {
      return Number(await send(['SCARD', key.recovery(userId)]));
    },

    async putChallenge(id, record, cooldownMs) {
      const args = [
        id, record.userId, record.purpose, record.digest, record.destination, record.createdAt, record.expiresAt,
        record.attemptsLeft, cooldownMs, ttl(record.createdAt, record.expiresAt), challengePrefix, userChallengesPrefix,
      ];
      return Number(await run(PUT_CHALLENGE, [key.challenge(id), key.userChallenges(record.userId)], args)) === 1;
    },

    async consumeChallenge(id, purpose, digest, now): Promise<ChallengeConsumeResult> {
      const r = (await run(CONSUME_CHALLENGE, [key.challenge(id)], [purpose, digest, now, id, userChallengesPrefix])) as Reply[];
      switch (r[0]) {
        case 'ok':
          return {
            ok: true,
            record: {
              userId: String(r[1]),
              purpose: String(r[2]),
              digest: String(r[3]),
              destination: String(r[4] ?? ''),
              createdAt: Number(r[5]),
              expiresAt: Number(r[6]),
              attemptsLeft: Number(r[7]),
            },
          };
        case 'mismatch':
          return { ok: false, reason: 'mismatch', attemptsLeft: Number(r[1]) };
        case 'expired':
          return { ok: false, reason: 'expired', attemptsLeft: 0 };
        case 'exhausted':
          return { ok: false, reason: 'exhausted', attemptsLeft: 0 };
        default:
          return { ok: false, reason: 'missing', attemptsLeft: 0 };
      }
    },

    async deleteChallenge(id) {
      return Number(await run(DELETE_CHALLENGE, [key.challenge(id)], [id, userChallengesPrefix])) === 1;
    },
  };
}

type Reply = string | number | null | undefined;

interface Script {
  text: string;
  sha: string;
}

function script(text: string): Script {
  return { text, sha: bytesToHex(sha1(utf8ToBytes(text))) };
}

function sender(client: RedisClient): (args: string[]) => Promise<unknown> {
  const c = client as { call?: unknown; sendCommand?: unknown } | null;
  if (typeof c === 'object' && c !== null) {
    // ioredis has both; its sendCommand takes a Command object, so `call` goes first.
    if (typeof c.call === 'function') {
      const call = c.call.bind(c) as (command: string, args: string[]) => Promise<unknown>;
      return (args) => call(args[0] as string, args.slice(1));
    }
    if (typeof c.sendCommand === 'function') {
      const sendCommand = c.sendCommand.bind(c) as (args: string[]) => Promise<unknown>;
      return (args) => sendCommand(args);
    }
  }
  throw new MfaError('INVALID_CONFIG', 'createRedisStore: client must be a redis v4/v5 client (sendCommand) or ioredis (call)');
}

function isNoScript(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}

function toTime(value: Reply): number | null {
  return value === null || value === undefined || value === '' ? null : Number(value);
}

// Lua notes: numbers are doubles, exact up to 2^53, and Lua 5.1 turns a large
// number into a string with 14 significant digits. So values the caller gave
// are stored as the argument strings, and computed times go through '%.0f'.

const PUT_PENDING = script(`
if redis.call('HGET', KEYS[1], 'state') == 'active' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'pending', 'secret', ARGV[1], 'createdAt', ARGV[2], 'expiresAt', ARGV[3], 'lastStep', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`);

const ACTIVATE = script(`
local f = redis.call('HMGET', KEYS[1], 'state', 'secret', 'expiresAt')
if f[1] ~= 'pending' or f[2] ~= ARGV[1] then return 0 end
local expires = tonumber(f[3])
if expires == nil or expires <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'active', 'createdAt', ARGV[3], 'expiresAt', '', 'lastStep', ARGV[2])
redis.call('PERSIST', KEYS[1])
redis.call('DEL', KEYS[2])
for i = 4, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 1`);

const UPDATE_SECRET = script(`
if redis.call('HGET', KEYS[1], 'secret') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'secret', ARGV[2])
return 1`);

const DELETE_USER = script(`
local existed = redis.call('EXISTS', KEYS[1])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  local k = ARGV[1] .. id
  if redis.call('HGET', k, 'userId') == ARGV[2] then redis.call('DEL', k) end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return existed`);

const CLAIM_STEP = script(`
local f = redis.call('HMGET', KEYS[1], 'state', 'lastStep')
if f[1] ~= 'active' or not (tonumber(ARGV[1]) > tonumber(f[2])) then return 0 end
redis.call('HSET', KEYS[1], 'lastStep', ARGV[1])
return 1`);

// A suspended counter is made persistent: it must outlive any TTL until deleteUser.
const RESERVE_ATTEMPT = script(`
local a = redis.call('HMGET', KEYS[1], 'failures', 'lockedUntil')
local failures = tonumber(a[1]) or 0
local locked = a[2] or ''
local now = tonumber(ARGV[1])
local suspend = tonumber(ARGV[5])
if failures >= suspend then return {0, tostring(failures), locked} end
if locked ~= '' and tonumber(locked) > now then return {0, tostring(failures), locked} end
failures = failures + 1
local free = tonumber(ARGV[2])
if failures >= free then
  local lock = math.min(tonumber(ARGV[3]) * 2 ^ math.min(failures - free, 52), tonumber(ARGV[4]))
  locked = string.format('%.0f', now + lock)
end
redis.call('HSET', KEYS[1], 'failures', tostring(failures), 'lockedUntil', locked)
local ttl = tonumber(ARGV[6])
if failures >= suspend then
  redis.call('PERSIST', KEYS[1])
elseif ttl >= 0 then
  local lockEnd = now
  if locked ~= '' and tonumber(locked) > now then lockEnd = tonumber(locked) end
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', lockEnd - now + ttl + 1))
end
return {1, tostring(failures), locked}`);

const REPLACE_RECOVERY = script(`
redis.call('DEL', KEYS[1])
for i = 1, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
return 1`);

// The user's index of challenge ids is pruned of ids whose challenge Redis
// already expired, and lives as long as the longest-lived challenge in it.
const PUT_CHALLENGE = script(`
local old = redis.call('HMGET', KEYS[1], 'userId', 'createdAt', 'expiresAt')
local created = tonumber(ARGV[6])
if old[1] then
  if tonumber(old[3]) > created and created - tonumber(old[2]) < tonumber(ARGV[9]) then return 0 end
  if old[1] ~= ARGV[2] then redis.call('SREM', ARGV[12] .. old[1], ARGV[1]) end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'userId', ARGV[2], 'purpose', ARGV[3], 'digest', ARGV[4], 'destination', ARGV[5],
  'createdAt', ARGV[6], 'expiresAt', ARGV[7], 'attemptsLeft', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[10])
for _, other in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[11] .. other) == 0 then redis.call('SREM', KEYS[2], other) end
end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[10]) then redis.call('PEXPIRE', KEYS[2], ARGV[10]) end
return 1`);

const CONSUME_CHALLENGE = script(`
local c = redis.call('HMGET', KEYS[1], 'userId', 'purpose', 'digest', 'destination', 'createdAt', 'expiresAt', 'attemptsLeft')
if not c[1] then return {'missing'} end
local function remove()
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[5] .. c[1], ARGV[4])
end
local left = tonumber(c[7])
if tonumber(c[6]) <= tonumber(ARGV[3]) then remove() return {'expired'} end
if left <= 0 then return {'exhausted'} end
if c[3] == ARGV[2] and c[2] == ARGV[1] then
  remove()
  return {'ok', c[1], c[2], c[3], c[4], c[5], c[6], c[7]}
end
left = left - 1
if left <= 0 then remove() else redis.call('HSET', KEYS[1], 'attemptsLeft', tostring(left)) end
return {'mismatch', tostring(left)}`);

const DELETE_CHALLENGE = script(`
local u = redis.call('HGET', KEYS[1], 'userId')
if not u then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[2] .. u, ARGV[1])
return 1`);
