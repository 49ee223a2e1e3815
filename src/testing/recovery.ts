// RecoveryCodeStore: one set of digests per user, replaced whole, consumed once.
import type { ThrottleSchedule } from '../store/types.js';
import { activeFactor, CLEAN, type Case, concurrently, countWhere, digest, digests, equal, fail, pendingFactor, putOpts, T, UNKNOWN_USER } from './kit.js';

const LOCK_AT_2: ThrottleSchedule = { locks: [0, 0, 60_000], suspendAfter: 50 };

/** The RecoveryCodeStore tests. */
export const recoveryCases: readonly Case[] = [
  {
    name: 'replaceRecoveryCodes: refused (false) without an active factor, storing nothing',
    async run({ store, user }) {
      const nobody = user();
      equal(await store.replaceRecoveryCodes(nobody, digests(3)), false, 'replaceRecoveryCodes(unknown user)');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after replaceRecoveryCodes)');
      const u = user();
      const p = pendingFactor(u);
      await store.putPendingFactor(p, putOpts());
      const set = digests(3);
      equal(await store.replaceRecoveryCodes(u, set), false, 'replaceRecoveryCodes(only a pending factor)');
      equal(await store.getUser(u), { factors: [p], attempts: CLEAN, recoveryCodes: 0 }, 'getUser after a refused replaceRecoveryCodes');
      equal(await store.consumeRecoveryCode(u, set[0] as string), null, 'consumeRecoveryCode(a digest of a refused set)');
    },
  },
  {
    name: 'replaceRecoveryCodes: replaces the whole set',
    async run({ store, user }) {
      const u = user();
      const old = digests(4);
      await activeFactor(store, u, { codes: old });
      const next = digests(6);
      equal(await store.replaceRecoveryCodes(u, next), true, 'replaceRecoveryCodes(active user)');
      equal((await store.getUser(u)).recoveryCodes, 6, 'getUser(…).recoveryCodes after replaceRecoveryCodes');
      for (const d of old) equal(await store.consumeRecoveryCode(u, d), null, 'consumeRecoveryCode(a digest of the replaced set)');
      equal(await store.consumeRecoveryCode(u, next[5] as string), { recoveryCodes: 5 }, 'consumeRecoveryCode(a digest of the new set)');
      equal(await store.replaceRecoveryCodes(u, []), true, 'replaceRecoveryCodes(empty set)');
      equal((await store.getUser(u)).recoveryCodes, 0, 'getUser(…).recoveryCodes after replacing with an empty set');
    },
  },
  {
    name: 'consumeRecoveryCode: removes the digest, clears failures and lock, returns the codes left',
    async run({ store, user }) {
      const u = user();
      const set = digests(3);
      const a = await activeFactor(store, u, { codes: set });
      await fail(store, u, 2, T, LOCK_AT_2);
      equal(await store.consumeRecoveryCode(u, set[1] as string), { recoveryCodes: 2 }, 'consumeRecoveryCode(a digest in the set)');
      equal(await store.getUser(u), { factors: [a], attempts: CLEAN, recoveryCodes: 2 }, 'getUser after consumeRecoveryCode');
      equal(await store.consumeRecoveryCode(u, set[1] as string), null, 'consumeRecoveryCode(the same digest again)');
    },
  },
  {
    name: 'consumeRecoveryCode: an unknown digest, another user’s digest or an unknown user change nothing',
    async run({ store, user }) {
      const u = user();
      const set = digests(3);
      const a = await activeFactor(store, u, { codes: set });
      await fail(store, u, 2, T, LOCK_AT_2);
      const other = user();
      const theirs = digests(2);
      await activeFactor(store, other, { codes: theirs });
      equal(await store.consumeRecoveryCode(u, digest()), null, 'consumeRecoveryCode(an unknown digest)');
      equal(await store.consumeRecoveryCode(u, theirs[0] as string), null, 'consumeRecoveryCode(another user’s digest)');
      const nobody = user();
      equal(await store.consumeRecoveryCode(nobody, set[0] as string), null, 'consumeRecoveryCode(unknown user)');
      equal(await store.getUser(u), { factors: [a], attempts: { failures: 2, lockedUntil: T + 60_000 }, recoveryCodes: 3 }, 'getUser after refused consumeRecoveryCode');
      equal((await store.getUser(other)).recoveryCodes, 2, 'getUser(other user).recoveryCodes after refused consumeRecoveryCode');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after consumeRecoveryCode)');
    },
  },
  {
    name: 'consumeRecoveryCode: 30 concurrent consumptions of one digest succeed exactly once',
    async run({ store, user }) {
      const u = user();
      const set = digests(10);
      await activeFactor(store, u, { codes: set });
      const results = await concurrently(30, () => store.consumeRecoveryCode(u, set[4] as string));
      equal(countWhere(results, (r) => r !== null), 1, 'consumeRecoveryCode ×30 concurrently of one digest: successes');
      equal(results.find((r) => r !== null), { recoveryCodes: 9 }, 'consumeRecoveryCode ×30: the success');
      equal((await store.getUser(u)).recoveryCodes, 9, 'getUser(…).recoveryCodes after 30 concurrent consumptions');
    },
  },
  {
    name: 'consumeRecoveryCode: 10 concurrent consumptions of distinct digests all succeed, none lost',
    async run({ store, user }) {
      const u = user();
      const set = digests(10);
      await activeFactor(store, u, { codes: set });
      const results = await concurrently(10, (i) => store.consumeRecoveryCode(u, set[i] as string));
      const left = results.map((r) => r?.recoveryCodes ?? -1).sort((a, b) => a - b);
      equal(left, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'consumeRecoveryCode ×10 concurrently of distinct digests: the codes left each reported');
      equal((await store.getUser(u)).recoveryCodes, 0, 'getUser(…).recoveryCodes after consuming every digest concurrently');
    },
  },
  {
    name: 'replaceRecoveryCodes: 20 concurrent replacements leave exactly one whole set',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u, { codes: digests(10) });
      const sets = Array.from({ length: 20 }, () => digests(10));
      const results = await concurrently(20, (i) => store.replaceRecoveryCodes(u, sets[i] as string[]));
      equal(countWhere(results, (r) => r), 20, 'replaceRecoveryCodes ×20 concurrently: true results');
      equal((await store.getUser(u)).recoveryCodes, 10, 'getUser(…).recoveryCodes after 20 concurrent replacements');
      const firsts = await Promise.all(sets.map((s) => store.consumeRecoveryCode(u, s[0] as string)));
      const kept = firsts.flatMap((r, i) => (r === null ? [] : [i]));
      equal(kept.length, 1, 'replaceRecoveryCodes ×20 concurrently: sets whose first digest is stored');
      const set = sets[kept[0] as number] as string[];
      for (const [i, d] of set.slice(1).entries()) equal(await store.consumeRecoveryCode(u, d), { recoveryCodes: 8 - i }, `consumeRecoveryCode(digest ${i + 2} of the surviving set)`);
    },
  },
];
