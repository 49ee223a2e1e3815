// What goes in comes out: user ids kept exactly as given, numbers as JS numbers,
// records copied in and out, and invalid arguments refused before they reach storage.
import type { FactorRecord, MfaStore } from '../store/types.js';
import { activation, activeFactor, CLEAN, type Case, digest, digests, equal, expectUser, factorId, fail, NO_LOCKS, ok, oneTime, pendingFactor, putOpts, recoverySet, rejects, show, T, UNKNOWN_USER } from './kit.js';
import { challengeRecord, codeRecord } from './one-time.js';

const MAX_USER_ID_BYTES = 255;

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** `base` padded with `fill` and then ASCII `a` to exactly `bytes` of UTF-8, ending in `last`. */
function longId(base: string, fill: string, last: string, bytes = MAX_USER_ID_BYTES): string {
  let id = base;
  while (utf8Bytes(id + fill) + 1 <= bytes - 8) id += fill;
  while (utf8Bytes(id) + 1 < bytes) id += 'a';
  return id + last;
}

/**
 * Gives each id its own factor, recovery codes and failures, then checks that
 * every id reads back exactly its own records and that deleting the first
 * leaves the others alone: ids that a database folds together (collation,
 * normalisation, truncation, key patterns) would share or lose records.
 */
async function expectDistinct(store: MfaStore, ids: readonly string[], what: string): Promise<void> {
  ok(new Set(ids).size === ids.length, `the kit's ${what} ids are not distinct`);
  const factors: FactorRecord[] = [];
  for (const [i, id] of ids.entries()) {
    factors.push(await activeFactor(store, id, { counter: 10 + i, codes: digests(i + 1) }));
    await fail(store, id, i + 1);
  }
  for (const [i, id] of ids.entries()) {
    await expectUser(store, id, { factors: [factors[i] as FactorRecord], attempts: { failures: i + 1, lockedUntil: null }, recoveryCodes: i + 1 }, `of ${what} id ${i + 1} ${show(id)}`);
  }
  equal(await store.deleteUser(ids[0] as string), true, `deleteUser(${what} id 1)`);
  equal(await store.getUser(ids[0] as string), UNKNOWN_USER, `getUser(${what} id 1 after deleteUser)`);
  for (const [i, id] of ids.entries()) {
    if (i > 0) equal((await store.getUser(id)).factors.length, 1, `getUser(${what} id ${i + 1} ${show(id)} after deleteUser of id 1).factors.length`);
  }
}

const userIds: Case[] = [
  {
    name: 'user ids: ids that differ only in case are distinct users',
    async run({ store, user }) {
      const base = user();
      await expectDistinct(store, [`${base}-ab`, `${base}-AB`, `${base}-Ab`], 'case');
    },
  },
  {
    name: 'user ids: NFC and NFD spellings of one name are distinct users',
    async run({ store, user }) {
      const base = user();
      await expectDistinct(store, [`${base}-Jos\u00e9`, `${base}-Jose\u0301`], 'NFC/NFD');
    },
  },
  {
    name: 'user ids: trailing spaces, key separators, wildcards, quotes and astral characters are kept exactly',
    async run({ store, user }) {
      const base = user();
      const variants = ['', ' ', '  ', ':x', '{x}', '}', '*', '?', '%', '_', '[a]', '\\', "'", '"', '\u{1F600}', '\u{1F601}', '\u00a0', '\t'];
      await expectDistinct(store, variants.map((v) => base + v), 'special-character');
    },
  },
  {
    name: 'user ids: ids of 255 UTF-8 bytes are kept whole, distinct when only the last character differs',
    async run({ store, user }) {
      const base = user();
      const ids = [longId(base, 'a', 'x'), longId(base, 'a', 'y'), longId(base, '\u00e9', 'x'), longId(base, '\u00e9', 'y'), longId(base, '\u{1F600}', 'x')];
      for (const id of ids) equal(utf8Bytes(id), MAX_USER_ID_BYTES, 'the kit’s long id length in UTF-8 bytes');
      await expectDistinct(store, ids, 'long');
    },
  },
];

const numbers: Case[] = [
  {
    name: 'numbers: counters and times above 2^32, up to 2^53 - 1, come back as the same JS numbers',
    async run({ store, user }) {
      const u = user();
      const big = 2 ** 32 + 7;
      const max = Number.MAX_SAFE_INTEGER;
      const rec = pendingFactor(u, { createdAt: big, expiresAt: max - 1 });
      equal(await store.putPendingFactor(rec, putOpts(big)), { ok: true, factor: rec }, 'putPendingFactor(times above 2^32)');
      equal(await store.beginAttempt(u, 'pending', big, NO_LOCKS), { factors: [rec], reservation: { allowed: true, failures: 1, lockedUntil: null, suspended: false } }, 'beginAttempt(pending, times above 2^32)');
      equal(await store.activateFactor(u, rec.id, activation(2 ** 40 + 3, big + 1, digests(2), rec.meta)), { recoveryCodes: 2, recoveryCodesIssued: true }, 'activateFactor(counter 2^40 + 3)');
      equal(await store.advanceCounter(u, rec.id, max, max - 2), { recoveryCodes: 2 }, 'advanceCounter(counter 2^53 - 1)');
      const schedule = { locks: [0, 2 ** 41], suspendAfter: 10 };
      equal((await store.beginAttempt(u, 'active', T, schedule)).reservation, { allowed: true, failures: 1, lockedUntil: T + 2 ** 41, suspended: false }, 'beginAttempt(lock of 2^41 ms)');
      await expectUser(store, u, { factors: [{ ...rec, state: 'active', counter: max, expiresAt: null, lastUsedAt: max - 2 }], attempts: { failures: 1, lockedUntil: T + 2 ** 41 }, recoveryCodes: 2 }, 'with numbers above 2^32');
      const got = await store.getUser(u);
      const f = got.factors[0] as FactorRecord;
      for (const [name, value] of Object.entries({ counter: f.counter, createdAt: f.createdAt, lastUsedAt: f.lastUsedAt, failures: got.attempts.failures, lockedUntil: got.attempts.lockedUntil, recoveryCodes: got.recoveryCodes })) {
        ok(typeof value === 'number', `getUser: ${name} must be a JS number, got ${typeof value} ${show(value)}`);
      }
    },
  },
  {
    name: 'numbers: code and challenge fields come back as the same JS numbers',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const big = 2 ** 33 + 1;
      const c = codeRecord(u, { createdAt: big, expiresAt: Number.MAX_SAFE_INTEGER, attemptsLeft: 100 });
      await oneTime(store).putCode(c, 2 ** 35);
      equal(await oneTime(store).beginCodeAttempt(u, c.id, big, NO_LOCKS), { code: { ...c, attemptsLeft: 99 }, reservation: { allowed: true, failures: 1, lockedUntil: null, suspended: false } }, 'beginCodeAttempt(times above 2^32)');
      const ch = challengeRecord(u, { createdAt: big, expiresAt: Number.MAX_SAFE_INTEGER, attemptsLeft: 100 });
      await oneTime(store).putChallenge(ch);
      equal(await oneTime(store).spendChallenge(ch.id, Number.MAX_SAFE_INTEGER - 1), { ...ch, attemptsLeft: 99 }, 'spendChallenge(times above 2^32)');
    },
  },
];

const copies: Case[] = [
  {
    name: 'copies: records passed in are copied before the call returns; records returned are copies',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      const original = { ...rec };
      const put = store.putPendingFactor(rec, putOpts());
      rec.secret = 'changed.by.caller';
      rec.counter = 99;
      const returned = await put;
      if (returned.ok) returned.factor.label = 'changed by caller';
      await expectUser(store, u, { factors: [original], attempts: CLEAN, recoveryCodes: 0 }, 'after the caller changed the records of putPendingFactor');

      const read = await store.getUser(u);
      (read.factors[0] as FactorRecord).counter = 5;
      read.attempts.failures = 7;
      read.factors.push({ ...original, id: factorId() });
      await expectUser(store, u, { factors: [original], attempts: CLEAN, recoveryCodes: 0 }, 'after the caller changed a record returned by getUser');
      const loaded = await store.beginAttempt(u, 'pending', T, NO_LOCKS);
      (loaded.factors[0] as FactorRecord).secret = 'changed.by.caller';
      if (loaded.reservation) loaded.reservation.failures = 50;
      await expectUser(store, u, { factors: [original], attempts: { failures: 1, lockedUntil: null }, recoveryCodes: 0 }, 'after the caller changed records returned by beginAttempt');

      const codes = digests(3);
      const given = [...codes];
      const activated = store.activateFactor(u, original.id, activation(1, T + 1, given, original.meta));
      given[0] = digest();
      given.push(digest());
      await activated;
      equal((await store.getUser(u)).recoveryCodes, 3, 'getUser(…).recoveryCodes after the caller changed the digests given to activateFactor');
      equal(await store.consumeRecoveryCode(u, codes[0] as string), { recoveryCodes: 2 }, 'consumeRecoveryCode(a digest the caller overwrote after activateFactor)');
      const next = digests(2);
      const replacing = store.replaceRecoveryCodes(u, recoverySet(next));
      next.length = 0;
      await replacing;
      equal((await store.getUser(u)).recoveryCodes, 2, 'getUser(…).recoveryCodes after the caller emptied the array given to replaceRecoveryCodes');
    },
  },
  {
    name: 'copies: code and challenge records are copied in and out',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const c = codeRecord(u);
      const original = { ...c };
      const put = oneTime(store).putCode(c, 0);
      c.digest = digest();
      c.attemptsLeft = 1;
      await put;
      const first = await oneTime(store).beginCodeAttempt(u, c.id, T, NO_LOCKS);
      equal(first?.code, { ...original, attemptsLeft: 4 }, 'beginCodeAttempt(after the caller changed the record given to putCode).code');
      if (first?.code) first.code.attemptsLeft = 100;
      equal((await oneTime(store).beginCodeAttempt(u, c.id, T, NO_LOCKS))?.code?.attemptsLeft, 3, 'beginCodeAttempt(after the caller changed a returned code).code.attemptsLeft');

      const ch = challengeRecord(u);
      const chOriginal = { ...ch };
      const putting = oneTime(store).putChallenge(ch);
      ch.attemptsLeft = 1;
      await putting;
      const spent = await oneTime(store).spendChallenge(ch.id, T);
      equal(spent, { ...chOriginal, attemptsLeft: 4 }, 'spendChallenge(after the caller changed the record given to putChallenge)');
      if (spent) spent.attemptsLeft = 100;
      equal((await oneTime(store).spendChallenge(ch.id, T))?.attemptsLeft, 3, 'spendChallenge(after the caller changed a returned record).attemptsLeft');
    },
  },
];

const argumentChecks: Case[] = [
  {
    name: 'arguments: invalid user ids, ids, counters, times, digests and schedules are refused with a rejected promise, writing nothing',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { counter: 10, codes: digests(2) });
      const tooLong = longId(u, 'a', 'x', MAX_USER_ID_BYTES + 1);
      for (const [label, bad] of [['empty', ''], ['lone surrogate', `${u}\ud800`], ['NUL', `${u}\u0000`], ['256 UTF-8 bytes', tooLong], ['a number', 42]] as const) {
        await rejects(() => store.getUser(bad as string), `getUser(${label} user id)`);
        await rejects(() => store.beginAttempt(bad as string, 'active', T, NO_LOCKS), `beginAttempt(${label} user id)`);
        await rejects(() => store.putPendingFactor(pendingFactor(bad as string), putOpts()), `putPendingFactor(${label} record.userId)`);
      }
      await rejects(() => store.advanceCounter(u, 'not an id', 11, T), 'advanceCounter(factor id with spaces)');
      for (const bad of [10.5, 2 ** 53, -2, Number.NaN]) await rejects(() => store.advanceCounter(u, a.id, bad, T), `advanceCounter(counter ${bad})`);
      for (const bad of [-1, 1.5, Number.POSITIVE_INFINITY]) await rejects(() => store.advanceCounter(u, a.id, 11, bad), `advanceCounter(now ${bad})`);
      await rejects(() => store.consumeRecoveryCode(u, digest().toUpperCase()), 'consumeRecoveryCode(upper-case digest)');
      const twice = digest();
      await rejects(() => store.replaceRecoveryCodes(u, recoverySet([twice, twice])), 'replaceRecoveryCodes(repeated digest)');
      await rejects(() => store.beginAttempt(u, 'active', T, { locks: [5], suspendAfter: 10 }), 'beginAttempt(schedule.locks[0] = 5)');
      await rejects(() => store.beginAttempt(u, 'other' as 'active', T, NO_LOCKS), "beginAttempt(state 'other')");
      await rejects(() => store.putPendingFactor({ ...pendingFactor(u), state: 'active', expiresAt: null }, putOpts()), 'putPendingFactor(an active record)');
      await rejects(() => store.putPendingFactor(pendingFactor(u), { now: T, maxFactors: 0, replace: false }), 'putPendingFactor(maxFactors 0)');
      await expectUser(store, u, { factors: [a], attempts: CLEAN, recoveryCodes: 2 }, 'after refused arguments');
      if (store.supports.oneTime) {
        await rejects(() => oneTime(store).spendChallenge('not-a-digest', T), 'spendChallenge(id that is no digest)');
        await rejects(() => oneTime(store).putCode(codeRecord(u, { attemptsLeft: -1 }), 0), 'putCode(attemptsLeft -1)');
      }
    },
  },
];

/** The tests of values at the boundary: user ids, numbers, copies and argument checks. */
export const valueCases: readonly Case[] = [...userIds, ...numbers, ...copies, ...argumentChecks];
