// OneTimeStore (optional, `supports.oneTime`): e-mail/SMS codes (user-scoped) and sign-in challenges (single-key).
import type { ChallengeRecord, CodeRecord, ThrottleSchedule } from '../store/types.js';
import { activeFactor, CLEAN, type Case, concurrently, countWhere, digest, equal, fail, NO_LOCKS, ok, oneTime, show, T, UNKNOWN_USER } from './kit.js';

const COOLDOWN = 60_000;

/** A code of `userId` created at `T`, 5 minutes, 5 tries; `over` replaces fields. */
export function codeRecord(userId: string, over: Partial<CodeRecord> = {}): CodeRecord {
  return { id: digest(), userId, digest: digest(), createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5, ...over };
}

/** A challenge of `userId` created at `T`, 5 minutes, 5 codes; `over` replaces fields. */
export function challengeRecord(userId: string, over: Partial<ChallengeRecord> = {}): ChallengeRecord {
  return { id: digest(), userId, createdAt: T, expiresAt: T + 300_000, attemptsLeft: 5, ...over };
}

const codes: Case[] = [
  {
    name: 'putCode + beginCodeAttempt: a stored code is loaded with one try taken, and the attempt is counted',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const c = codeRecord(u);
      equal(await oneTime(store).putCode(c, COOLDOWN), { ok: true }, 'putCode(new code)');
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T + 1, NO_LOCKS), { code: { ...c, attemptsLeft: 4 }, reservation: { allowed: true, failures: 1, lockedUntil: null, suspended: false } }, 'beginCodeAttempt(stored code)');
      equal((await store.getUser(u)).attempts, { failures: 1, lockedUntil: null }, 'getUser(…).attempts after beginCodeAttempt (user without factors)');
      equal((await oneTime(store).beginCodeAttempt(u, c.id, T + 2, NO_LOCKS))?.code?.attemptsLeft, 3, 'beginCodeAttempt(second try).code.attemptsLeft');
    },
  },
  {
    name: 'putCode: refused within the cooldown of an unexpired code (blockedSince), replaced at the cooldown or after expiry',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const first = codeRecord(u);
      await oneTime(store).putCode(first, COOLDOWN);
      const early = { ...codeRecord(u, { id: first.id }), createdAt: T + COOLDOWN - 1, expiresAt: T + COOLDOWN + 300_000 };
      equal(await oneTime(store).putCode(early, COOLDOWN), { ok: false, blockedSince: T }, 'putCode(same id within the cooldown)');
      equal((await oneTime(store).beginCodeAttempt(u, first.id, T + 1, NO_LOCKS))?.code?.digest, first.digest, 'beginCodeAttempt(after a blocked putCode).code.digest');
      const onTime = { ...early, digest: digest(), createdAt: T + COOLDOWN };
      equal(await oneTime(store).putCode(onTime, COOLDOWN), { ok: true }, 'putCode(same id, createdAt - old.createdAt = cooldownMs)');
      equal((await oneTime(store).beginCodeAttempt(u, first.id, T + COOLDOWN, NO_LOCKS))?.code, { ...onTime, attemptsLeft: 4 }, 'beginCodeAttempt(after the code was replaced).code');

      const v = user();
      const short = codeRecord(v, { expiresAt: T + 1000 });
      await oneTime(store).putCode(short, COOLDOWN);
      const after = codeRecord(v, { id: short.id, createdAt: T + 1000, expiresAt: T + 301_000 });
      equal(await oneTime(store).putCode(after, COOLDOWN), { ok: true }, 'putCode(same id within the cooldown of an expired code)');
    },
  },
  {
    name: 'beginCodeAttempt: a missing code, another user’s code or an unknown user count nothing and write nothing',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u);
      const other = user();
      const theirs = codeRecord(other);
      await oneTime(store).putCode(theirs, COOLDOWN);
      equal(await oneTime(store).beginCodeAttempt(u, digest(), T, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(missing code)');
      equal(await oneTime(store).beginCodeAttempt(u, theirs.id, T, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(another user’s code id)');
      const nobody = user();
      equal(await oneTime(store).beginCodeAttempt(nobody, digest(), T, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(unknown user)');
      equal(await store.getUser(u), { factors: [a], attempts: CLEAN, recoveryCodes: 0 }, 'getUser after beginCodeAttempt of a missing code');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after beginCodeAttempt)');
      equal((await oneTime(store).beginCodeAttempt(other, theirs.id, T, NO_LOCKS))?.code?.attemptsLeft, 4, 'beginCodeAttempt(the owner, after others tried its id).code.attemptsLeft');
    },
  },
  {
    name: 'beginCodeAttempt: an expired code (expiresAt <= now) is deleted and counts nothing',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      equal(await oneTime(store).beginCodeAttempt(u, c.id, c.expiresAt, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(now = expiresAt)');
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T + 1, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(an expired code, asked again at an earlier time)');
      equal((await store.getUser(u)).attempts, CLEAN, 'getUser(…).attempts after beginCodeAttempt of an expired code');
    },
  },
  {
    name: 'beginCodeAttempt: an exhausted code (attemptsLeft <= 0) is deleted and counts nothing',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const c = codeRecord(u, { attemptsLeft: 1 });
      await oneTime(store).putCode(c, COOLDOWN);
      equal((await oneTime(store).beginCodeAttempt(u, c.id, T + 1, NO_LOCKS))?.code?.attemptsLeft, 0, 'beginCodeAttempt(the last try).code.attemptsLeft');
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T + 2, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(exhausted code)');
      equal((await store.getUser(u)).attempts.failures, 1, 'getUser(…).attempts.failures after trying an exhausted code');
      equal(await oneTime(store).putCode(codeRecord(u, { id: c.id, createdAt: T + 3 }), COOLDOWN), { ok: true }, 'putCode(same id within the cooldown of a deleted exhausted code)');
    },
  },
  {
    name: 'beginCodeAttempt: a refused reservation takes no try from the code',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 60_000], suspendAfter: 100 };
      await fail(store, u, 1, T, schedule);
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T + 1, schedule), { code: c, reservation: { allowed: false, failures: 1, lockedUntil: T + 60_000, suspended: false } }, 'beginCodeAttempt(while locked)');
      equal((await oneTime(store).beginCodeAttempt(u, c.id, T + 60_000, schedule))?.code?.attemptsLeft, 4, 'beginCodeAttempt(after the lock).code.attemptsLeft');
    },
  },
  {
    name: 'beginCodeAttempt: 20 concurrent attempts never take more tries than attemptsLeft',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      const results = await concurrently(20, () => oneTime(store).beginCodeAttempt(u, c.id, T + 1, NO_LOCKS));
      const tries = results.flatMap((r) => (r?.code != null && r.reservation?.allowed === true ? [r.code.attemptsLeft] : [])).sort((a, b) => a - b);
      equal(tries, [0, 1, 2, 3, 4], 'beginCodeAttempt ×20 concurrently of a code with 5 tries: attemptsLeft of the tries handed out');
      equal((await store.getUser(u)).attempts.failures, 5, 'getUser(…).attempts.failures after 20 concurrent code attempts');
    },
  },
  {
    name: 'acceptCode: deletes the code and gives its reservation back; a missing code refunds nothing',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      const schedule: ThrottleSchedule = { locks: [0, 0, 0, 60_000], suspendAfter: 100 };
      await fail(store, u, 2, T, schedule);
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      equal((await oneTime(store).beginCodeAttempt(u, c.id, T, schedule))?.reservation, { allowed: true, failures: 3, lockedUntil: T + 60_000, suspended: false }, 'beginCodeAttempt(third failure)');
      equal(await oneTime(store).acceptCode(u, digest(), schedule), false, 'acceptCode(missing code)');
      equal((await store.getUser(u)).attempts, { failures: 3, lockedUntil: T + 60_000 }, 'getUser(…).attempts after acceptCode of a missing code');
      equal(await oneTime(store).acceptCode(u, c.id, schedule), true, 'acceptCode(stored code)');
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: null }, 'getUser(…).attempts after acceptCode (refund lifting the lock)');
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T, schedule), { code: null, reservation: null }, 'beginCodeAttempt(an accepted code)');
      equal(await oneTime(store).acceptCode(u, c.id, schedule), false, 'acceptCode(the same code again)');
    },
  },
  {
    name: 'acceptCode: 20 concurrent accepts of one code succeed exactly once and refund exactly once',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u);
      await fail(store, u, 5);
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      const results = await concurrently(20, () => oneTime(store).acceptCode(u, c.id, NO_LOCKS));
      equal(countWhere(results, (r) => r === true), 1, 'acceptCode ×20 concurrently: true results');
      equal((await store.getUser(u)).attempts.failures, 4, 'getUser(…).attempts.failures after 20 concurrent acceptCode');
    },
  },
  {
    name: 'deleteCode: deletes once (true exactly once among concurrent callers) and only that user’s code',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      equal(await oneTime(store).deleteCode(user(), c.id), false, 'deleteCode(another user, same id)');
      const results = await concurrently(20, () => oneTime(store).deleteCode(u, c.id));
      equal(countWhere(results, (r) => r === true), 1, 'deleteCode ×20 concurrently: true results');
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(a deleted code)');
      equal(await oneTime(store).deleteCode(u, c.id), false, 'deleteCode(a deleted code)');
    },
  },
  {
    name: 'removeFactor and deleteUser: the user’s codes go with the user',
    needs: 'oneTime',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u);
      const c = codeRecord(u);
      await oneTime(store).putCode(c, COOLDOWN);
      equal(await store.removeFactor(u, a.id), { removed: true, disabled: true }, 'removeFactor(the last active factor)');
      equal(await oneTime(store).beginCodeAttempt(u, c.id, T, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(a code of a user whose last factor was removed)');
      const v = user();
      const d = codeRecord(v);
      await oneTime(store).putCode(d, COOLDOWN);
      equal(await store.deleteUser(v), false, 'deleteUser(a user with a code and no factor)');
      equal(await oneTime(store).beginCodeAttempt(v, d.id, T, NO_LOCKS), { code: null, reservation: null }, 'beginCodeAttempt(a code of a deleted user)');
    },
  },
];

const challenges: Case[] = [
  {
    name: 'putChallenge + spendChallenge: each spend takes one try and returns the record after it',
    needs: 'oneTime',
    async run({ store, user }) {
      const ch = challengeRecord(user(), { attemptsLeft: 2 });
      await oneTime(store).putChallenge(ch);
      equal(await oneTime(store).spendChallenge(ch.id, T + 1), { ...ch, attemptsLeft: 1 }, 'spendChallenge(first try)');
      equal(await oneTime(store).spendChallenge(ch.id, T + 2), { ...ch, attemptsLeft: 0 }, 'spendChallenge(last try)');
      equal(await oneTime(store).spendChallenge(ch.id, T + 3), null, 'spendChallenge(no try left)');
      equal(await oneTime(store).spendChallenge(digest(), T), null, 'spendChallenge(missing challenge)');
    },
  },
  {
    name: 'spendChallenge: an expired challenge (expiresAt <= now) is refused and deleted',
    needs: 'oneTime',
    async run({ store, user }) {
      const ch = challengeRecord(user());
      await oneTime(store).putChallenge(ch);
      equal(await oneTime(store).spendChallenge(ch.id, ch.expiresAt), null, 'spendChallenge(now = expiresAt)');
      equal(await oneTime(store).spendChallenge(ch.id, T + 1), null, 'spendChallenge(an expired challenge, asked again at an earlier time)');
    },
  },
  {
    name: 'putChallenge: a challenge with the same id replaces the old one',
    needs: 'oneTime',
    async run({ store, user }) {
      const ch = challengeRecord(user(), { attemptsLeft: 1 });
      await oneTime(store).putChallenge(ch);
      const again = challengeRecord(user(), { id: ch.id, attemptsLeft: 3 });
      await oneTime(store).putChallenge(again);
      equal(await oneTime(store).spendChallenge(ch.id, T + 1), { ...again, attemptsLeft: 2 }, 'spendChallenge(a replaced challenge)');
    },
  },
  {
    name: 'spendChallenge: 20 concurrent spends never hand out more tries than attemptsLeft',
    needs: 'oneTime',
    async run({ store, user }) {
      const ch = challengeRecord(user());
      await oneTime(store).putChallenge(ch);
      const results = await concurrently(20, () => oneTime(store).spendChallenge(ch.id, T + 1));
      const left = results.flatMap((r) => (r == null ? [] : [r.attemptsLeft])).sort((a, b) => a - b);
      equal(left, [0, 1, 2, 3, 4], 'spendChallenge ×20 concurrently of a challenge with 5 tries: attemptsLeft of the tries handed out');
    },
  },
  {
    name: 'deleteChallenge: true exactly once among 20 concurrent callers, then the challenge is gone',
    needs: 'oneTime',
    async run({ store, user }) {
      const ch = challengeRecord(user());
      await oneTime(store).putChallenge(ch);
      const results = await concurrently(20, () => oneTime(store).deleteChallenge(ch.id));
      equal(countWhere(results, (r) => r === true), 1, 'deleteChallenge ×20 concurrently: true results');
      ok(results.every((r) => typeof r === 'boolean'), `deleteChallenge: expected booleans, got ${show(results)}`);
      equal(await oneTime(store).spendChallenge(ch.id, T + 1), null, 'spendChallenge(a deleted challenge)');
      equal(await oneTime(store).deleteChallenge(ch.id), false, 'deleteChallenge(a deleted challenge)');
    },
  },
];

/** The OneTimeStore tests, run when `store.supports.oneTime` is true. */
export const oneTimeCases: readonly Case[] = [...codes, ...challenges];
