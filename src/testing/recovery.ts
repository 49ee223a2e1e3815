// RecoveryCodeStore: one set of digests per user, replaced whole, consumed once.
import type { ThrottleSchedule } from '../store/types.js';
import { activeFactor, CLEAN, type Case, concurrently, countWhere, digest, digests, equal, fail, pendingFactor, putOpts, recoverySet, T, UNKNOWN_USER } from './kit.js';

const LOCK_AT_2: ThrottleSchedule = { locks: [0, 0, 60_000], suspendAfter: 50 };

/** The RecoveryCodeStore tests. */
export const recoveryCases: readonly Case[] = [
  {
    name: 'replaceRecoveryCodes: refused (false) without an active factor, storing nothing',
    async run({ store, user }) {
      const nobody = user();
      equal(await store.replaceRecoveryCodes(nobody, recoverySet(digests(3))), false, 'replaceRecoveryCodes(unknown user)');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after replaceRecoveryCodes)');
      const u = user();
      const p = pendingFactor(u);
      await store.putPendingFactor(p, putOpts());
      const set = digests(3);
      equal(await store.replaceRecoveryCodes(u, recoverySet(set)), false, 'replaceRecoveryCodes(only a pending factor)');
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
      equal(await store.replaceRecoveryCodes(u, recoverySet(next)), true, 'replaceRecoveryCodes(active user)');
      equal((await store.getUser(u)).recoveryCodes, 6, 'getUser(…).recoveryCodes after replaceRecoveryCodes');
      for (const d of old) equal(await store.consumeRecoveryCode(u, d), null, 'consumeRecoveryCode(a digest of the replaced set)');
      equal(await store.consumeRecoveryCode(u, next[5] as string), { recoveryCodes: 5 }, 'consumeRecoveryCode(a digest of the new set)');
      equal(await store.replaceRecoveryCodes(u, recoverySet([])), true, 'replaceRecoveryCodes(empty set)');
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
    name: 'getRecoveryCodes: the digests left and the sealed copy; consuming keeps the copy, replacing replaces both',
    async run({ store, user }) {
      const nobody = user();
      equal(await store.getRecoveryCodes(nobody), { digests: [], sealed: null }, 'getRecoveryCodes(unknown user)');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after getRecoveryCodes)');
      const u = user();
      const set = digests(3);
      await activeFactor(store, u, { codes: set, sealed: 'v2.k1.sealed-set-1' });
      const sorted = (r: { digests: readonly string[]; sealed: string | null }) => ({ digests: [...r.digests].sort(), sealed: r.sealed });
      equal(sorted(await store.getRecoveryCodes(u)), { digests: [...set].sort(), sealed: 'v2.k1.sealed-set-1' }, 'getRecoveryCodes after the first activation');
      await store.consumeRecoveryCode(u, set[0] as string);
      equal(sorted(await store.getRecoveryCodes(u)), { digests: set.slice(1).sort(), sealed: 'v2.k1.sealed-set-1' }, 'getRecoveryCodes after consumeRecoveryCode');
      const second = pendingFactor(u);
      await store.putPendingFactor(second, putOpts());
      await store.activateFactor(u, second.id, { counter: 1, now: T + 1, meta: second.meta, recovery: recoverySet(digests(2), 'v2.k1.not-stored') });
      equal((await store.getRecoveryCodes(u)).sealed, 'v2.k1.sealed-set-1', 'getRecoveryCodes(…).sealed after activating a second factor');
      const next = digests(4);
      equal(await store.replaceRecoveryCodes(u, recoverySet(next, 'v2.k1.sealed-set-2')), true, 'replaceRecoveryCodes(with a sealed copy)');
      equal(sorted(await store.getRecoveryCodes(u)), { digests: [...next].sort(), sealed: 'v2.k1.sealed-set-2' }, 'getRecoveryCodes after replaceRecoveryCodes');
      equal(await store.replaceRecoveryCodes(u, recoverySet(digests(2))), true, 'replaceRecoveryCodes(without a sealed copy)');
      equal((await store.getRecoveryCodes(u)).sealed, null, 'getRecoveryCodes(…).sealed after a replacement without a copy');
      await store.replaceRecoveryCodes(u, recoverySet(digests(2), 'v2.k1.sealed-set-3'));
      await store.deleteUser(u);
      equal(await store.getRecoveryCodes(u), { digests: [], sealed: null }, 'getRecoveryCodes after deleteUser');
    },
  },
  {
    name: 'getRecoveryCodes: reads racing consumptions each see a whole state, before or after every consumption',
    async run({ store, user }) {
      const u = user();
      const set = digests(10);
      await activeFactor(store, u, { codes: set, sealed: 'v2.k1.sealed' });
      const runs = await concurrently(20, (i): Promise<unknown> => (i % 2 === 0 ? store.consumeRecoveryCode(u, set[i / 2] as string) : store.getRecoveryCodes(u)));
      const known = new Set(set);
      for (const [i, r] of runs.entries()) {
        if (i % 2 === 0) {
          equal(r !== null, true, `consumeRecoveryCode(digest ${i / 2}) racing reads: a success`);
          continue;
        }
        const read = r as { digests: readonly string[]; sealed: string | null };
        equal(read.sealed, 'v2.k1.sealed', 'getRecoveryCodes racing consumptions: the sealed copy');
        equal(read.digests.every((d) => known.has(d)) && new Set(read.digests).size === read.digests.length, true, 'getRecoveryCodes racing consumptions: digests of the set, each once');
      }
      equal(await store.getRecoveryCodes(u), { digests: [], sealed: 'v2.k1.sealed' }, 'getRecoveryCodes after every digest was consumed');
    },
  },
  {
    name: 'getRecoveryCodes: reads racing replacements each see one whole set, its digests with its own copy',
    async run({ store, user }) {
      const u = user();
      const sets = Array.from({ length: 11 }, () => digests(3));
      await activeFactor(store, u, { codes: sets[0] as string[], sealed: 'v2.k1.set-0' });
      const runs = await concurrently(20, (i): Promise<unknown> =>
        i % 2 === 0 ? store.replaceRecoveryCodes(u, recoverySet(sets[i / 2 + 1] as string[], `v2.k1.set-${i / 2 + 1}`)) : store.getRecoveryCodes(u));
      for (const [i, r] of runs.entries()) {
        if (i % 2 === 0) continue;
        const read = r as { digests: readonly string[]; sealed: string | null };
        const n = Number(read.sealed?.slice('v2.k1.set-'.length));
        equal([...read.digests].sort(), [...((sets[n] ?? []) as string[])].sort(), `getRecoveryCodes racing replacements: the digests of the set whose copy was read (${String(read.sealed)})`);
      }
    },
  },
  {
    name: 'replaceRecoveryCodes: 20 concurrent replacements leave exactly one whole set',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u, { codes: digests(10) });
      const sets = Array.from({ length: 20 }, () => digests(10));
      const results = await concurrently(20, (i) => store.replaceRecoveryCodes(u, recoverySet(sets[i] as string[], `v2.k1.set-${i}`)));
      equal(countWhere(results, (r) => r), 20, 'replaceRecoveryCodes ×20 concurrently: true results');
      equal((await store.getUser(u)).recoveryCodes, 10, 'getUser(…).recoveryCodes after 20 concurrent replacements');
      const firsts = await Promise.all(sets.map((s) => store.consumeRecoveryCode(u, s[0] as string)));
      const kept = firsts.flatMap((r, i) => (r === null ? [] : [i]));
      equal(kept.length, 1, 'replaceRecoveryCodes ×20 concurrently: sets whose first digest is stored');
      equal((await store.getRecoveryCodes(u)).sealed, `v2.k1.set-${kept[0] as number}`, 'replaceRecoveryCodes ×20 concurrently: the sealed copy is that of the set whose digests are stored');
      const set = sets[kept[0] as number] as string[];
      for (const [i, d] of set.slice(1).entries()) equal(await store.consumeRecoveryCode(u, d), { recoveryCodes: 8 - i }, `consumeRecoveryCode(digest ${i + 2} of the surviving set)`);
    },
  },
];
