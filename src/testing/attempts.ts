// AttemptStore: reserve-and-load, the precomputed lock schedule, suspension and refunds.
import type { AttemptReservation, ThrottleSchedule } from '../store/types.js';
import { activeFactor, byId, CLEAN, type Case, concurrently, countWhere, equal, fail, NO_LOCKS, ok, pendingFactor, putOpts, show, T, UNKNOWN_USER } from './kit.js';

const res = (allowed: boolean, failures: number, lockedUntil: number | null, suspended = false): AttemptReservation => ({ allowed, failures, lockedUntil, suspended });

const reservation: Case[] = [
  {
    name: 'beginAttempt: an unknown user gets no factors and no reservation, and nothing is written',
    async run({ store, user }) {
      const u = user();
      equal(await store.beginAttempt(u, 'active', T, NO_LOCKS), { factors: [], reservation: null }, 'beginAttempt(unknown user, active)');
      equal(await store.beginAttempt(u, 'pending', T, NO_LOCKS), { factors: [], reservation: null }, 'beginAttempt(unknown user, pending)');
      equal(await store.getUser(u), UNKNOWN_USER, 'getUser after beginAttempt of an unknown user');
    },
  },
  {
    name: 'beginAttempt: a user without a factor in the state asked for gets no reservation, and nothing is counted',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      await store.putPendingFactor(rec, putOpts());
      equal(await store.beginAttempt(u, 'active', T, NO_LOCKS), { factors: [], reservation: null }, 'beginAttempt(only a pending factor, active)');
      equal(await store.beginAttempt(u, 'pending', rec.expiresAt as number, NO_LOCKS), { factors: [], reservation: null }, 'beginAttempt(pending, now = expiresAt)');
      equal((await store.getUser(u)).attempts, CLEAN, 'getUser(…).attempts after beginAttempt without a matching factor');
    },
  },
  {
    name: 'beginAttempt: loads the factors in the state asked for (pending ones only while unexpired) and counts one failure',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u);
      const b = await activeFactor(store, u);
      const p = pendingFactor(u);
      const gone = pendingFactor(u, { expiresAt: T + 10 });
      await store.putPendingFactor(p, putOpts());
      await store.putPendingFactor(gone, putOpts());
      const act = await store.beginAttempt(u, 'active', T + 10, NO_LOCKS);
      equal({ ...act, factors: byId(act.factors) }, { factors: byId([a, b]), reservation: res(true, 1, null) }, 'beginAttempt(active)');
      equal(await store.beginAttempt(u, 'pending', T + 10, NO_LOCKS), { factors: [p], reservation: res(true, 2, null) }, 'beginAttempt(pending)');
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: null }, 'getUser(…).attempts after two reservations');
    },
  },
  {
    name: 'beginAttempt: follows the schedule locks[min(failures, length - 1)] up to suspension',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 0, 0, 1000, 5000, 60_000], suspendAfter: 8 };
      const steps: Array<[now: number, expected: AttemptReservation]> = [
        [T, res(true, 1, null)],
        [T, res(true, 2, null)],
        [T, res(true, 3, T + 1000)],
        [T + 999, res(false, 3, T + 1000)],
        [T + 1000, res(true, 4, T + 6000)],
        [T + 5999, res(false, 4, T + 6000)],
        [T + 6000, res(true, 5, T + 66_000)],
        [T + 66_000, res(true, 6, T + 126_000)],
        [T + 126_000, res(true, 7, T + 186_000)],
        [T + 186_000, res(true, 8, T + 246_000, true)],
        [T + 1_000_000_000, res(false, 8, T + 246_000, true)],
      ];
      for (const [i, [now, expected]] of steps.entries()) {
        equal((await store.beginAttempt(u, 'active', now, schedule)).reservation, expected, `beginAttempt(reservation ${i + 1}, now = T + ${now - T})`);
      }
      equal((await store.getUser(u)).attempts, { failures: 8, lockedUntil: T + 246_000 }, 'getUser(…).attempts after suspension');
    },
  },
  {
    name: 'beginAttempt: a lock of 0 leaves lockedUntil as it was',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 1000, 0], suspendAfter: 10 };
      equal((await store.beginAttempt(u, 'active', T, schedule)).reservation, res(true, 1, T + 1000), 'beginAttempt(failure 1, lock 1000)');
      equal((await store.beginAttempt(u, 'active', T + 1000, schedule)).reservation, res(true, 2, T + 1000), 'beginAttempt(failure 2, lock 0)');
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: T + 1000 }, 'getUser(…).attempts after a lock of 0');
    },
  },
  {
    name: 'beginAttempt: suspension beats a running lock',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 0, 60_000], suspendAfter: 2 };
      equal((await store.beginAttempt(u, 'active', T, schedule)).reservation, res(true, 1, null), 'beginAttempt(failure 1)');
      equal((await store.beginAttempt(u, 'active', T, schedule)).reservation, res(true, 2, T + 60_000, true), 'beginAttempt(failure 2 reaching suspendAfter)');
      equal((await store.beginAttempt(u, 'active', T + 1, schedule)).reservation, res(false, 2, T + 60_000, true), 'beginAttempt(suspended while the lock runs)');
      equal((await store.beginAttempt(u, 'pending', T + 1, schedule)).reservation, null, 'beginAttempt(pending, no pending factor)');
    },
  },
  {
    name: 'beginAttempt: a suspension lasts until the user is deleted',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0], suspendAfter: 3 };
      await fail(store, u, 3, T, schedule);
      equal((await store.beginAttempt(u, 'active', T + 86_400_000 * 365, schedule)).reservation, res(false, 3, null, true), 'beginAttempt(a year after suspension)');
      await store.deleteUser(u);
      await activeFactor(store, u);
      equal((await store.beginAttempt(u, 'active', T, schedule)).reservation, res(true, 1, null), 'beginAttempt(after deleteUser and a new factor)');
    },
  },
  {
    name: 'beginAttempt: 40 concurrent reservations are each counted exactly once',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const results = await concurrently(40, () => store.beginAttempt(u, 'active', T, NO_LOCKS));
      equal(countWhere(results, (r) => r.reservation?.allowed === true), 40, 'beginAttempt ×40 concurrently: allowed');
      const seen = results.map((r) => r.reservation?.failures ?? -1).sort((a, b) => a - b);
      equal(seen, Array.from({ length: 40 }, (_, i) => i + 1), 'beginAttempt ×40 concurrently: the failures each reservation reported');
      equal((await store.getUser(u)).attempts, { failures: 40, lockedUntil: null }, 'getUser(…).attempts after 40 concurrent reservations');
    },
  },
  {
    name: 'beginAttempt: 30 concurrent reservations allow no more than the schedule before its lock',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 0, 0, 60_000], suspendAfter: 100 };
      const results = await concurrently(30, () => store.beginAttempt(u, 'active', T, schedule));
      equal(countWhere(results, (r) => r.reservation?.allowed === true), 3, 'beginAttempt ×30 concurrently (lock after 3): allowed');
      for (const r of results) {
        if (r.reservation?.allowed === false) equal(r.reservation, res(false, 3, T + 60_000), 'beginAttempt ×30 concurrently: a refused reservation');
      }
      equal((await store.getUser(u)).attempts, { failures: 3, lockedUntil: T + 60_000 }, 'getUser(…).attempts after 30 concurrent reservations');
    },
  },
  {
    name: 'beginAttempt: 30 concurrent reservations allow exactly suspendAfter, then all are suspended',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0], suspendAfter: 5 };
      const results = await concurrently(30, () => store.beginAttempt(u, 'active', T, schedule));
      const allowed = results.filter((r) => r.reservation?.allowed === true);
      equal(allowed.length, 5, 'beginAttempt ×30 concurrently (suspendAfter 5): allowed');
      equal(countWhere(allowed, (r) => r.reservation?.suspended === true), 1, 'beginAttempt ×30 concurrently: allowed reservations reporting suspended');
      ok(results.every((r) => r.reservation?.allowed === true || r.reservation?.suspended === true), `beginAttempt ×30 concurrently: every refusal is suspended, got ${show(results.map((r) => r.reservation))}`);
      equal((await store.getUser(u)).attempts.failures, 5, 'getUser(…).attempts.failures after 30 concurrent reservations');
    },
  },
];

const refund: Case[] = [
  {
    name: 'refundAttempt: gives exactly one reservation back',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      await fail(store, u, 3);
      await store.refundAttempt(u, NO_LOCKS);
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: null }, 'getUser(…).attempts after refundAttempt of 3 failures');
    },
  },
  {
    name: 'refundAttempt: lifts the lock when locks[failures left] is 0',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 0, 0, 60_000], suspendAfter: 100 };
      await fail(store, u, 3, T, schedule);
      await store.refundAttempt(u, schedule);
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: null }, 'getUser(…).attempts after refundAttempt lifting the lock');
      equal((await store.beginAttempt(u, 'active', T + 1, schedule)).reservation, res(true, 3, T + 60_001), 'beginAttempt(after the refund lifted the lock)');
    },
  },
  {
    name: 'refundAttempt: keeps the lock when locks[min(failures left, length - 1)] is above 0',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 0, 30_000], suspendAfter: 100 };
      await fail(store, u, 2, T, schedule);
      await fail(store, u, 1, T + 30_000, schedule);
      equal((await store.getUser(u)).attempts, { failures: 3, lockedUntil: T + 60_000 }, 'getUser(…).attempts after 3 failures');
      await store.refundAttempt(u, schedule);
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: T + 60_000 }, 'getUser(…).attempts after refundAttempt (locks[2] > 0)');
    },
  },
  {
    name: 'refundAttempt: leaves a user without failures alone and never goes below 0',
    async run({ store, user }) {
      const nobody = user();
      await store.refundAttempt(nobody, NO_LOCKS);
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after refundAttempt)');
      const u = user();
      const a = await activeFactor(store, u);
      await fail(store, u, 1);
      await store.refundAttempt(u, NO_LOCKS);
      await store.refundAttempt(u, NO_LOCKS);
      equal(await store.getUser(u), { factors: [a], attempts: CLEAN, recoveryCodes: 0 }, 'getUser after more refunds than failures');
      equal((await store.beginAttempt(u, 'active', T, NO_LOCKS)).reservation, res(true, 1, null), 'beginAttempt(after more refunds than failures)');
    },
  },
  {
    name: 'refundAttempt: concurrent refunds each give exactly one back, down to 0',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      await fail(store, u, 20);
      await concurrently(10, () => store.refundAttempt(u, NO_LOCKS));
      equal((await store.getUser(u)).attempts.failures, 10, 'getUser(…).attempts.failures after 10 concurrent refunds of 20');
      await concurrently(30, () => store.refundAttempt(u, NO_LOCKS));
      equal((await store.getUser(u)).attempts.failures, 0, 'getUser(…).attempts.failures after 30 concurrent refunds of 10');
    },
  },
];

/** The AttemptStore tests. */
export const attemptCases: readonly Case[] = [...reservation, ...refund];
