// ListingStore (optional, `supports.listing`): the administrator's enrolment view, the one capability that reads across users.
// The store under test may be shared and written by other tests at the same time, so every
// check looks at a range of user ids of its own: the ids that start with one fresh stem,
// which are contiguous in binary order and all come after the stem itself.
import type { EnrolledUser, MfaStore } from '../store/types.js';
import { activeFactor, type Case, equal, fail, listing, ok, pendingFactor, putOpts, rejects, show, T } from './kit.js';

/** Binary order of user ids (code points, as UTF-8 bytes order them). */
function compare(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0) as number);
  const y = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/**
 * Pages through the enrolled users from `stem` (exclusive; `''` for the start) with `limit`,
 * until a page leaves the stem's range or the listing ends, checking every
 * page's shape on the way; returns the users of the range, in order.
 */
async function pageRange(store: MfaStore, stem: string, limit: number): Promise<EnrolledUser[]> {
  const mine: EnrolledUser[] = [];
  let cursor: string | null = stem === '' ? null : stem;
  let last = stem;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await listing(store).listEnrolled({ cursor, limit });
    ok(page.users.length <= limit, `listEnrolled(limit ${limit}): expected at most ${limit} users, got ${page.users.length}`);
    for (const u of page.users) {
      ok(compare(u.userId, last) > 0, `listEnrolled(cursor ${show(cursor)}): expected user ids after ${show(last)} in binary order, got ${show(u.userId)}`);
      last = u.userId;
    }
    if (page.cursor !== null) {
      ok(page.users.length > 0, `listEnrolled(cursor ${show(cursor)}): an empty page must end the listing (cursor null), got cursor ${show(page.cursor)}`);
      equal(page.cursor, last, `listEnrolled(cursor ${show(cursor)}).cursor (the last user id of the page)`);
    }
    const inRange = page.users.filter((u) => u.userId.startsWith(stem));
    mine.push(...inRange);
    if (page.cursor === null || inRange.length < page.users.length) return mine;
    cursor = page.cursor;
  }
  throw new Error('listEnrolled: more than 10 000 pages');
}

export const listingCases: readonly Case[] = [
  {
    name: 'listEnrolled: a user’s active factors, their kinds (sorted, no repeats), the latest use and the failures',
    needs: 'listing',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u, { over: { kind: 'totp' } });
      const b = await activeFactor(store, u, { over: { kind: 'totp' } });
      await activeFactor(store, u, { over: { kind: 'passkey' } });
      await store.putPendingFactor(pendingFactor(u, { kind: 'sms' }), putOpts());
      ok((await store.advanceCounter(u, b.id, 2000, T + 50)) !== null, 'advanceCounter(a fresh active factor): expected a result, got null');
      await fail(store, u, 2);
      const page = await listing(store).listEnrolled({ cursor: u.slice(0, -1), limit: 1000 });
      const entry = page.users.find((e) => e.userId === u);
      equal(entry, { userId: u, factors: 3, kinds: ['passkey', 'totp'], lastUsedAt: T + 50, failures: 2 }, 'listEnrolled(…) entry of a user with 3 active factors and a pending one');
    },
  },
  {
    name: 'listEnrolled: paging with a small limit lists every enrolled user exactly once, in binary order; pending-only and disabled users are not listed',
    needs: 'listing',
    async run({ store, user }) {
      const stem = user();
      // Inserted out of order; ids that sort differently by code point, by UTF-16 unit and by locale.
      const suffixes = ['-b', '-a', '-B', '-a0', '-é', '-z', '-\u{1F600}', '-\uFF21', '-A', '-~'];
      const enrolled = suffixes.map((s) => stem + s);
      for (const id of enrolled) await activeFactor(store, id);
      for (const id of [`${stem}-pending`, `${stem}-b0`]) await store.putPendingFactor(pendingFactor(id), putOpts());
      const gone = `${stem}-c`;
      const g = await activeFactor(store, gone);
      await store.removeFactor(gone, g.id);
      const removed = `${stem}-d`;
      await activeFactor(store, removed);
      await store.deleteUser(removed);
      const expected = [...enrolled].sort(compare);
      for (const limit of [1, 2, 3, 1000]) {
        equal((await pageRange(store, stem, limit)).map((e) => e.userId), expected, `listEnrolled paged with limit ${limit}: the user ids of the range`);
      }
      const page = await listing(store).listEnrolled({ cursor: expected[3] as string, limit: 2 });
      equal(page.users.map((e) => e.userId), expected.slice(4, 6), 'listEnrolled(cursor = an enrolled user id, exclusive, limit 2)');
      equal(page.cursor, expected[5], 'listEnrolled(cursor = an enrolled user id, limit 2).cursor');
    },
  },
  {
    name: 'listEnrolled: the cursor is null at the end, and a cursor past every user id answers an empty last page',
    needs: 'listing',
    async run({ store, user }) {
      const end = '\u{10FFFF}'.repeat(3) + user();
      await activeFactor(store, end);
      const tail = await listing(store).listEnrolled({ cursor: '\u{10FFFF}'.repeat(3), limit: 1000 });
      ok(tail.users.some((e) => e.userId === end), `listEnrolled(cursor before the last user): expected ${show(end)} listed, got ${show(tail.users.map((e) => e.userId))}`);
      equal(tail.cursor, null, 'listEnrolled(a page that reaches the last user).cursor');
      equal(await listing(store).listEnrolled({ cursor: '\u{10FFFF}'.repeat(60), limit: 5 }), { users: [], cursor: null }, 'listEnrolled(cursor past every user id)');
      await store.deleteUser(end);
    },
  },
  {
    name: 'countEnrolled: counts users with an active factor, not pending-only or disabled ones',
    needs: 'listing',
    async run({ store, user }) {
      const stem = user();
      const mine = [`${stem}-1`, `${stem}-2`, `${stem}-3`];
      for (const id of mine) await activeFactor(store, id);
      await activeFactor(store, mine[0] as string);
      await store.putPendingFactor(pendingFactor(`${stem}-p`), putOpts());
      const gone = await activeFactor(store, `${stem}-r`);
      await store.removeFactor(`${stem}-r`, gone.id);
      const count = await listing(store).countEnrolled();
      ok(Number.isSafeInteger(count) && count >= mine.length, `countEnrolled: expected an integer of at least ${mine.length}, got ${show(count)}`);
      // Exact when the store holds nothing but this test's users (a fresh store): the whole listing is ours.
      const all = await pageRange(store, '', 1000);
      if (all.length > 0 && all.every((e) => e.userId.startsWith(stem))) {
        equal(all.map((e) => e.userId), mine, 'listEnrolled(from the start) of a store holding only this test’s users');
        equal(await listing(store).countEnrolled(), mine.length, 'countEnrolled of a store holding only this test’s users');
      }
    },
  },
  {
    name: 'listEnrolled arguments: limit 1–1000, cursor null or a user id',
    needs: 'listing',
    async run({ store }) {
      const s = listing(store);
      for (const limit of [0, 1001, 1.5, Number.NaN]) await rejects(() => s.listEnrolled({ cursor: null, limit }), `listEnrolled(limit ${limit})`);
      await rejects(() => s.listEnrolled({ cursor: '', limit: 10 }), 'listEnrolled(cursor empty string)');
      await rejects(() => s.listEnrolled({ cursor: 5 as never, limit: 10 }), 'listEnrolled(cursor a number)');
      await rejects(() => s.listEnrolled({ cursor: '\uD800', limit: 10 }), 'listEnrolled(cursor with a lone surrogate)');
      await rejects(() => s.listEnrolled(null as never), 'listEnrolled(null)');
      equal((await s.listEnrolled({ cursor: null, limit: 1 })).users.length <= 1, true, 'listEnrolled(cursor null, limit 1): at most one user');
    },
  },
];
