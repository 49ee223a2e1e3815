// FactorStore: pending factors, activation, the monotonic counter, and the user-level reads and deletes.
import type { FactorRecord, ThrottleSchedule } from '../store/types.js';
import {
  activation,
  activeFactor,
  CLEAN,
  type Case,
  concurrently,
  countWhere,
  digests,
  equal,
  expectUser,
  fail,
  factorId,
  NO_LOCKS,
  ok,
  pendingFactor,
  putOpts,
  sealed,
  T,
  UNKNOWN_USER,
} from './kit.js';

const LOCK_AT_2: ThrottleSchedule = { locks: [0, 0, 60_000], suspendAfter: 50 };

const pending: Case[] = [
  {
    name: 'getUser: an unknown user has no factors, no failures and no recovery codes',
    async run({ store, user }) {
      equal(await store.getUser(user()), UNKNOWN_USER, 'getUser(unknown user)');
    },
  },
  {
    name: 'putPendingFactor: stores the record as given and returns it',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      equal(await store.putPendingFactor(rec, putOpts()), { ok: true, factor: rec }, 'putPendingFactor(new factor)');
      await expectUser(store, u, { factors: [rec], attempts: CLEAN, recoveryCodes: 0 }, 'after putPendingFactor');
    },
  },
  {
    name: 'putPendingFactor: an unexpired pending factor with the same label is returned unchanged (replace: false)',
    async run({ store, user }) {
      const u = user();
      const first = pendingFactor(u, { label: 'iPhone' });
      const again = pendingFactor(u, { label: 'iPhone', createdAt: T + 10 });
      await store.putPendingFactor(first, putOpts());
      equal(await store.putPendingFactor(again, putOpts(T + 10)), { ok: true, factor: first }, 'putPendingFactor(same label, replace: false)');
      await expectUser(store, u, { factors: [first], attempts: CLEAN, recoveryCodes: 0 }, 'after a get-or-create of the same label');
    },
  },
  {
    name: 'putPendingFactor: replace: true deletes the pending factor with the same label and stores the new one',
    async run({ store, user }) {
      const u = user();
      const other = pendingFactor(u, { label: 'iPad' });
      const first = pendingFactor(u, { label: 'iPhone' });
      const again = pendingFactor(u, { label: 'iPhone', createdAt: T + 10 });
      await store.putPendingFactor(other, putOpts());
      await store.putPendingFactor(first, putOpts());
      equal(await store.putPendingFactor(again, putOpts(T + 10, 8, true)), { ok: true, factor: again }, 'putPendingFactor(same label, replace: true)');
      await expectUser(store, u, { factors: [other, again], attempts: CLEAN, recoveryCodes: 0 }, 'after replacing the pending factor');
    },
  },
  {
    name: 'putPendingFactor: an expired pending factor with the same label is not returned but swept',
    async run({ store, user }) {
      const u = user();
      const old = pendingFactor(u, { label: 'iPhone' });
      const now = old.expiresAt as number; // expiresAt <= now: expired
      const fresh = pendingFactor(u, { label: 'iPhone', createdAt: now });
      await store.putPendingFactor(old, putOpts());
      equal(await store.putPendingFactor(fresh, putOpts(now)), { ok: true, factor: fresh }, 'putPendingFactor(same label as an expired one)');
      await expectUser(store, u, { factors: [fresh], attempts: CLEAN, recoveryCodes: 0 }, 'after the expired pending factor was swept');
    },
  },
  {
    name: 'putPendingFactor: sweeps every expired pending factor of the user, keeps unexpired and active ones',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u);
      const soon = pendingFactor(u, { expiresAt: T + 100 });
      const later = pendingFactor(u, { expiresAt: T + 10_000 });
      await store.putPendingFactor(soon, putOpts());
      await store.putPendingFactor(later, putOpts());
      const next = pendingFactor(u, { createdAt: T + 100 });
      equal(await store.putPendingFactor(next, putOpts(T + 100)), { ok: true, factor: next }, 'putPendingFactor(after one pending factor expired)');
      await expectUser(store, u, { factors: [act, later, next], attempts: CLEAN, recoveryCodes: 0 }, 'after putPendingFactor swept the expired factor');
    },
  },
  {
    name: 'putPendingFactor: an active factor with the same label is neither returned nor replaced',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u, { over: { label: 'iPhone' } });
      const rec = pendingFactor(u, { label: 'iPhone' });
      equal(await store.putPendingFactor(rec, putOpts(T, 8, true)), { ok: true, factor: rec }, 'putPendingFactor(label of an active factor)');
      await expectUser(store, u, { factors: [act, rec], attempts: CLEAN, recoveryCodes: 0 }, 'after a pending factor with an active factor’s label');
    },
  },
  {
    name: 'putPendingFactor: refuses with limit at maxFactors live factors (active and unexpired pending), storing nothing',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u);
      const pend = pendingFactor(u);
      await store.putPendingFactor(pend, putOpts());
      const extra = pendingFactor(u);
      equal(await store.putPendingFactor(extra, putOpts(T, 2)), { ok: false, reason: 'limit' }, 'putPendingFactor(beyond maxFactors: 2)');
      await expectUser(store, u, { factors: [act, pend], attempts: CLEAN, recoveryCodes: 0 }, 'after a refused putPendingFactor');
      equal(await store.putPendingFactor(extra, putOpts(T, 3)), { ok: true, factor: extra }, 'putPendingFactor(within maxFactors: 3)');
    },
  },
  {
    name: 'putPendingFactor: expired factors do not count towards maxFactors; replacing or returning a factor at the limit is not refused',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u);
      const stale = pendingFactor(u, { expiresAt: T + 100 });
      await store.putPendingFactor(stale, putOpts());
      const rec = pendingFactor(u, { label: 'iPad', createdAt: T + 100 });
      equal(await store.putPendingFactor(rec, putOpts(T + 100, 2)), { ok: true, factor: rec }, 'putPendingFactor(at maxFactors counting an expired factor)');
      const same = pendingFactor(u, { label: 'iPad', createdAt: T + 200 });
      equal(await store.putPendingFactor(same, putOpts(T + 200, 2)), { ok: true, factor: rec }, 'putPendingFactor(same label at the limit, replace: false)');
      equal(await store.putPendingFactor(same, putOpts(T + 200, 2, true)), { ok: true, factor: same }, 'putPendingFactor(same label at the limit, replace: true)');
      await expectUser(store, u, { factors: [act, same], attempts: CLEAN, recoveryCodes: 0 }, 'after putPendingFactor at the limit');
    },
  },
  {
    name: 'putPendingFactor: 20 concurrent puts with distinct labels never exceed maxFactors',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u);
      const recs = Array.from({ length: 20 }, () => pendingFactor(u));
      const results = await concurrently(20, (i) => store.putPendingFactor(recs[i] as FactorRecord, putOpts(T, 5)));
      const stored = recs.filter((_, i) => results[i]?.ok === true);
      equal(stored.length, 4, 'putPendingFactor ×20 concurrently (maxFactors 5, one active): successes');
      equal(countWhere(results, (r) => !r.ok && r.reason === 'limit'), 16, 'putPendingFactor ×20 concurrently: limit refusals');
      await expectUser(store, u, { factors: [act, ...stored], attempts: CLEAN, recoveryCodes: 0 }, 'after 20 concurrent putPendingFactor');
    },
  },
  {
    name: 'putPendingFactor: 20 concurrent puts of one label store one factor and all return it (replace: false)',
    async run({ store, user }) {
      const u = user();
      const recs = Array.from({ length: 20 }, () => pendingFactor(u, { label: 'Phone' }));
      const results = await concurrently(20, (i) => store.putPendingFactor(recs[i] as FactorRecord, putOpts()));
      const { factors } = await store.getUser(u);
      equal(factors.length, 1, 'getUser after 20 concurrent putPendingFactor of one label: factors');
      const kept = factors[0] as FactorRecord;
      ok(recs.some((r) => r.id === kept.id), `putPendingFactor ×20: the stored factor ${kept.id} is none of those put`);
      for (const r of results) equal(r, { ok: true, factor: kept }, 'putPendingFactor ×20 concurrently of one label: each result');
    },
  },
  {
    name: 'putPendingFactor: 20 concurrent puts of one label with replace: true leave exactly one factor of that label',
    async run({ store, user }) {
      const u = user();
      const recs = Array.from({ length: 20 }, () => pendingFactor(u, { label: 'Phone' }));
      const results = await concurrently(20, (i) => store.putPendingFactor(recs[i] as FactorRecord, putOpts(T, 8, true)));
      equal(countWhere(results, (r) => r.ok), 20, 'putPendingFactor ×20 (replace: true): successes');
      const { factors } = await store.getUser(u);
      equal(factors.length, 1, 'getUser after 20 concurrent replacing putPendingFactor: factors');
      ok(recs.some((r) => r.id === factors[0]?.id), 'putPendingFactor ×20 (replace: true): the stored factor is none of those put');
    },
  },
];

// What a confirmation may measure and store in place of the pending factor's meta.
const CONFIRMED_META = '{"digits":6,"period":30,"offset":-1}';

const activations: Case[] = [
  {
    name: 'activateFactor: activates with the counter, clears failures and lock, and issues the first recovery codes',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      await store.putPendingFactor(rec, putOpts());
      for (let i = 0; i < 2; i++) await store.beginAttempt(u, 'pending', T, LOCK_AT_2);
      equal((await store.getUser(u)).attempts, { failures: 2, lockedUntil: T + 60_000 }, 'getUser after two failed confirmations');
      const codes = digests(3);
      equal(await store.activateFactor(u, rec.id, activation(4242, T + 5, codes, CONFIRMED_META)), { recoveryCodes: 3, recoveryCodesIssued: true }, 'activateFactor(first factor)');
      const act: FactorRecord = { ...rec, state: 'active', counter: 4242, expiresAt: null, lastUsedAt: T + 5, meta: CONFIRMED_META };
      await expectUser(store, u, { factors: [act], attempts: CLEAN, recoveryCodes: 3 }, 'after activateFactor');
      equal(await store.consumeRecoveryCode(u, codes[1] as string), { recoveryCodes: 2 }, 'consumeRecoveryCode(a code issued by activateFactor)');
    },
  },
  {
    name: 'activateFactor: a second active factor stores no recovery codes and keeps the set',
    async run({ store, user }) {
      const u = user();
      const first = digests(4);
      await activeFactor(store, u, { codes: first });
      const rec = pendingFactor(u);
      await store.putPendingFactor(rec, putOpts());
      await fail(store, u, 2);
      const second = digests(5);
      equal(await store.activateFactor(u, rec.id, activation(7, T + 9, second, rec.meta)), { recoveryCodes: 4, recoveryCodesIssued: false }, 'activateFactor(second factor)');
      equal((await store.getUser(u)).attempts, CLEAN, 'getUser(…).attempts after activating a second factor');
      equal(await store.consumeRecoveryCode(u, second[0] as string), null, 'consumeRecoveryCode(a digest given to the second activation)');
      equal(await store.consumeRecoveryCode(u, first[0] as string), { recoveryCodes: 3 }, 'consumeRecoveryCode(a code of the first set)');
    },
  },
  {
    name: 'activateFactor: refuses an expired pending factor (expiresAt <= now), changing nothing',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      await store.putPendingFactor(rec, putOpts());
      await store.beginAttempt(u, 'pending', T, LOCK_AT_2);
      equal(await store.activateFactor(u, rec.id, activation(5, rec.expiresAt as number, digests(2), rec.meta)), null, 'activateFactor(now = expiresAt)');
      await expectUser(store, u, { factors: [rec], attempts: { failures: 1, lockedUntil: null }, recoveryCodes: 0 }, 'after a refused activateFactor');
      ok((await store.activateFactor(u, rec.id, activation(5, (rec.expiresAt as number) - 1, [], rec.meta))) !== null, 'activateFactor(now = expiresAt - 1): expected a result, got null');
    },
  },
  {
    name: 'activateFactor: refuses an active factor, an unknown factor, another user’s factor and an unknown user',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u, { codes: digests(2) });
      equal(await store.activateFactor(u, act.id, activation(5000, T + 10, digests(3), CONFIRMED_META)), null, 'activateFactor(an active factor)');
      equal(await store.activateFactor(u, factorId(), activation(5000, T + 10, [], CONFIRMED_META)), null, 'activateFactor(an unknown factor id)');
      const other = user();
      const rec = pendingFactor(other);
      await store.putPendingFactor(rec, putOpts());
      equal(await store.activateFactor(u, rec.id, activation(5000, T + 10, [], CONFIRMED_META)), null, 'activateFactor(another user’s factor id)');
      const nobody = user();
      equal(await store.activateFactor(nobody, rec.id, activation(5000, T + 10, digests(2), CONFIRMED_META)), null, 'activateFactor(unknown user)');
      await expectUser(store, u, { factors: [act], attempts: CLEAN, recoveryCodes: 2 }, 'after refused activations');
      await expectUser(store, other, { factors: [rec], attempts: CLEAN, recoveryCodes: 0 }, 'of the other user after refused activations');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after activateFactor)');
    },
  },
  {
    name: 'activateFactor: claims its counter (advanceCounter to the same counter fails, the next succeeds)',
    async run({ store, user }) {
      const u = user();
      const act = await activeFactor(store, u, { counter: 777 });
      equal(await store.advanceCounter(u, act.id, 777, T + 2), null, 'advanceCounter(the counter activateFactor claimed)');
      equal(await store.advanceCounter(u, act.id, 778, T + 2), { recoveryCodes: 0 }, 'advanceCounter(the next counter)');
    },
  },
  {
    name: 'activateFactor: 20 concurrent activations of one factor succeed exactly once and store that call’s codes',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      await store.putPendingFactor(rec, putOpts());
      const sets = Array.from({ length: 20 }, () => digests(3));
      const results = await concurrently(20, (i) => store.activateFactor(u, rec.id, activation(100 + i, T + 1, sets[i] as string[], rec.meta)));
      const winners = results.flatMap((r, i) => (r === null ? [] : [i]));
      equal(winners.length, 1, 'activateFactor ×20 concurrently: successes');
      const w = winners[0] as number;
      equal(results[w], { recoveryCodes: 3, recoveryCodesIssued: true }, 'activateFactor ×20: the success');
      const [f] = (await store.getUser(u)).factors;
      equal(f?.counter, 100 + w, 'getUser(…).factors[0].counter after concurrent activations');
      equal(await store.consumeRecoveryCode(u, (sets[(w + 1) % 20] as string[])[0] as string), null, 'consumeRecoveryCode(a code of a losing activation)');
      equal(await store.consumeRecoveryCode(u, (sets[w] as string[])[0] as string), { recoveryCodes: 2 }, 'consumeRecoveryCode(a code of the winning activation)');
    },
  },
  {
    name: 'activateFactor: 10 pending factors activated concurrently issue recovery codes exactly once',
    async run({ store, user }) {
      const u = user();
      const recs = Array.from({ length: 10 }, () => pendingFactor(u));
      for (const r of recs) await store.putPendingFactor(r, putOpts(T, 20));
      const sets = recs.map(() => digests(2));
      const results = await concurrently(10, (i) => store.activateFactor(u, (recs[i] as FactorRecord).id, activation(5, T + 1, sets[i] as string[], (recs[i] as FactorRecord).meta)));
      equal(countWhere(results, (r) => r !== null), 10, 'activateFactor of 10 factors concurrently: successes');
      const issuers = results.flatMap((r, i) => (r?.recoveryCodesIssued === true ? [i] : []));
      equal(issuers.length, 1, 'activateFactor of 10 factors concurrently: results with recoveryCodesIssued');
      const w = issuers[0] as number;
      equal((await store.getUser(u)).recoveryCodes, 2, 'getUser(…).recoveryCodes after 10 concurrent first activations');
      for (let i = 0; i < 10; i++) {
        if (i !== w) equal(await store.consumeRecoveryCode(u, (sets[i] as string[])[0] as string), null, `consumeRecoveryCode(a code given to activation ${i}, not the issuer)`);
      }
      equal(await store.consumeRecoveryCode(u, (sets[w] as string[])[1] as string), { recoveryCodes: 1 }, 'consumeRecoveryCode(a code of the issuing activation)');
    },
  },
];

const counter: Case[] = [
  {
    name: 'a passkey factor: its kind, a 1024-character meta and signature counts up to 2^32 - 1 round-trip; a count that goes back is refused',
    async run({ store, user }) {
      const u = user();
      const meta = JSON.stringify({ credentialId: 'A'.repeat(400), key: 'v2.k1.'.padEnd(520, 'x'), counting: true, transports: ['usb'] }).padEnd(1024, ' ');
      const rec = pendingFactor(u, { kind: 'webauthn', label: 'YubiKey' });
      await store.putPendingFactor(rec, putOpts());
      equal(await store.activateFactor(u, rec.id, activation(41, T + 1, [], meta)), { recoveryCodes: 0, recoveryCodesIssued: true }, 'activateFactor(a passkey with the count it registered with)');
      equal(await store.advanceCounter(u, rec.id, 40, T + 2), null, 'advanceCounter(a signature count lower than the stored one)');
      equal(await store.advanceCounter(u, rec.id, 2 ** 32 - 1, T + 3), { recoveryCodes: 0 }, 'advanceCounter(signature count 2^32 - 1)');
      await expectUser(store, u, { factors: [{ ...rec, state: 'active', counter: 2 ** 32 - 1, expiresAt: null, lastUsedAt: T + 3, meta }], attempts: CLEAN, recoveryCodes: 0 }, 'after passkey sign-ins');
    },
  },
  {
    name: 'advanceCounter: sets counter and lastUsedAt, clears failures and lock, returns the recovery codes left; other factors untouched',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { counter: 10, codes: digests(6) });
      const b = await activeFactor(store, u, { counter: 10 });
      await fail(store, u, 2, T, LOCK_AT_2);
      equal(await store.advanceCounter(u, a.id, 11, T + 30_000), { recoveryCodes: 6 }, 'advanceCounter(counter + 1)');
      await expectUser(store, u, { factors: [{ ...a, counter: 11, lastUsedAt: T + 30_000 }, b], attempts: CLEAN, recoveryCodes: 6 }, 'after advanceCounter');
      equal(await store.advanceCounter(u, a.id, 500, T + 60_000), { recoveryCodes: 6 }, 'advanceCounter(a counter far ahead)');
    },
  },
  {
    name: 'advanceCounter: refuses an equal or lower counter, changing nothing',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { counter: 50 });
      await fail(store, u, 1);
      equal(await store.advanceCounter(u, a.id, 50, T + 5), null, 'advanceCounter(equal counter)');
      equal(await store.advanceCounter(u, a.id, 49, T + 5), null, 'advanceCounter(lower counter)');
      equal(await store.advanceCounter(u, a.id, -1, T + 5), null, 'advanceCounter(-1)');
      await expectUser(store, u, { factors: [a], attempts: { failures: 1, lockedUntil: null }, recoveryCodes: 0 }, 'after refused advanceCounter');
    },
  },
  {
    name: 'advanceCounter: refuses a pending factor, an unknown factor and an unknown user',
    async run({ store, user }) {
      const u = user();
      const rec = pendingFactor(u);
      await store.putPendingFactor(rec, putOpts());
      equal(await store.advanceCounter(u, rec.id, 5, T + 1), null, 'advanceCounter(a pending factor)');
      equal(await store.advanceCounter(u, factorId(), 5, T + 1), null, 'advanceCounter(an unknown factor id)');
      const nobody = user();
      equal(await store.advanceCounter(nobody, rec.id, 5, T + 1), null, 'advanceCounter(unknown user)');
      await expectUser(store, u, { factors: [rec], attempts: CLEAN, recoveryCodes: 0 }, 'after refused advanceCounter');
      equal(await store.getUser(nobody), UNKNOWN_USER, 'getUser(an unknown user after advanceCounter)');
    },
  },
  {
    name: 'advanceCounter: a factor removed and enrolled again is another factor (a code checked against the old one fails)',
    async run({ store, user }) {
      const u = user();
      const old = await activeFactor(store, u, { counter: 100, codes: digests(2) });
      equal(await store.removeFactor(u, old.id), { removed: true, disabled: true }, 'removeFactor(the only factor)');
      const fresh = await activeFactor(store, u, { counter: 50, codes: digests(2) });
      equal(await store.advanceCounter(u, old.id, 101, T + 30_000), null, 'advanceCounter(the removed factor’s id)');
      await expectUser(store, u, { factors: [fresh], attempts: CLEAN, recoveryCodes: 2 }, 'after advanceCounter of a removed factor');
    },
  },
  {
    name: 'advanceCounter: 50 concurrent calls with one counter succeed exactly once',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { counter: 1000, codes: digests(3) });
      const results = await concurrently(50, () => store.advanceCounter(u, a.id, 1001, T + 30_000));
      equal(countWhere(results, (r) => r !== null), 1, 'advanceCounter ×50 concurrently with one counter: successes');
      equal(results.find((r) => r !== null), { recoveryCodes: 3 }, 'advanceCounter ×50: the success');
      equal((await store.getUser(u)).factors[0]?.counter, 1001, 'getUser(…).factors[0].counter after 50 concurrent advanceCounter');
    },
  },
  {
    name: 'advanceCounter: 30 concurrent calls with rising counters end at the highest, which always succeeds',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { counter: 0 });
      const results = await concurrently(30, (i) => store.advanceCounter(u, a.id, i + 1, T + i));
      ok(results[29] !== null, 'advanceCounter(the highest of 30 concurrent counters): expected a result, got null');
      equal((await store.getUser(u)).factors[0]?.counter, 30, 'getUser(…).factors[0].counter after 30 concurrent rising advanceCounter');
    },
  },
];

const others: Case[] = [
  {
    name: 'renameFactor: sets the label of that factor only; false for an unknown factor or another user’s',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u);
      const b = pendingFactor(u);
      await store.putPendingFactor(b, putOpts());
      equal(await store.renameFactor(u, b.id, 'Work phone'), true, 'renameFactor(a pending factor)');
      equal(await store.renameFactor(u, a.id, 'Home phone'), true, 'renameFactor(an active factor)');
      equal(await store.renameFactor(u, factorId(), 'x'), false, 'renameFactor(unknown factor id)');
      equal(await store.renameFactor(user(), a.id, 'x'), false, 'renameFactor(another user’s factor id)');
      await expectUser(store, u, { factors: [{ ...a, label: 'Home phone' }, { ...b, label: 'Work phone' }], attempts: CLEAN, recoveryCodes: 0 }, 'after renameFactor');
    },
  },
  {
    name: 'resealFactor: replaces the sealed secret only when it still is the expected one',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u);
      const next = sealed();
      equal(await store.resealFactor(u, a.id, sealed(), next), false, 'resealFactor(wrong expected secret)');
      equal(await store.resealFactor(u, factorId(), a.secret, next), false, 'resealFactor(unknown factor id)');
      equal(await store.resealFactor(user(), a.id, a.secret, next), false, 'resealFactor(another user)');
      await expectUser(store, u, { factors: [a], attempts: CLEAN, recoveryCodes: 0 }, 'after refused resealFactor');
      equal(await store.resealFactor(u, a.id, a.secret, next), true, 'resealFactor(the expected secret)');
      await expectUser(store, u, { factors: [{ ...a, secret: next }], attempts: CLEAN, recoveryCodes: 0 }, 'after resealFactor');
      equal(await store.resealFactor(u, a.id, a.secret, sealed()), false, 'resealFactor(the secret before the last reseal)');
    },
  },
  {
    name: 'resealFactor: 20 concurrent reseals from one secret succeed exactly once',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u);
      const next = Array.from({ length: 20 }, sealed);
      const results = await concurrently(20, (i) => store.resealFactor(u, a.id, a.secret, next[i] as string));
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      equal(winners.length, 1, 'resealFactor ×20 concurrently: successes');
      equal((await store.getUser(u)).factors[0]?.secret, next[winners[0] as number], 'getUser(…).factors[0].secret after concurrent reseals');
    },
  },
  {
    name: 'removeFactor: one of several factors goes alone; recovery codes and failures stay',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { codes: digests(3) });
      const b = await activeFactor(store, u);
      const p = pendingFactor(u);
      await store.putPendingFactor(p, putOpts());
      await fail(store, u, 2);
      equal(await store.removeFactor(u, p.id), { removed: true, disabled: false }, 'removeFactor(a pending factor beside active ones)');
      equal(await store.removeFactor(u, a.id), { removed: true, disabled: false }, 'removeFactor(one of two active factors)');
      await expectUser(store, u, { factors: [b], attempts: { failures: 2, lockedUntil: null }, recoveryCodes: 3 }, 'after removing factors beside an active one');
      equal(await store.removeFactor(u, a.id), { removed: false, disabled: false }, 'removeFactor(the same factor again)');
      equal(await store.removeFactor(user(), b.id), { removed: false, disabled: false }, 'removeFactor(another user)');
    },
  },
  {
    name: 'removeFactor: removing the last active factor deletes everything of the user (disabled: true)',
    async run({ store, user }) {
      const u = user();
      const a = await activeFactor(store, u, { codes: digests(3) });
      await store.putPendingFactor(pendingFactor(u), putOpts());
      await fail(store, u, 2, T, LOCK_AT_2);
      const other = user();
      const kept = await activeFactor(store, other, { codes: digests(1) });
      equal(await store.removeFactor(u, a.id), { removed: true, disabled: true }, 'removeFactor(the last active factor)');
      equal(await store.getUser(u), UNKNOWN_USER, 'getUser after removing the last active factor');
      equal((await store.beginAttempt(u, 'pending', T, NO_LOCKS)).reservation, null, 'beginAttempt(pending) after the last active factor went');
      await expectUser(store, other, { factors: [kept], attempts: CLEAN, recoveryCodes: 1 }, 'of another user after removeFactor');
    },
  },
  {
    name: 'deleteUser: deletes every record of that user only; whether a factor existed',
    async run({ store, user }) {
      const u = user();
      await activeFactor(store, u, { codes: digests(3) });
      await store.putPendingFactor(pendingFactor(u), putOpts());
      await fail(store, u, 2, T, LOCK_AT_2);
      const other = user();
      const kept = await activeFactor(store, other, { codes: digests(2) });
      await fail(store, other, 1);
      equal(await store.deleteUser(u), true, 'deleteUser(a user with factors)');
      equal(await store.getUser(u), UNKNOWN_USER, 'getUser after deleteUser');
      equal(await store.deleteUser(u), false, 'deleteUser(the same user again)');
      equal(await store.deleteUser(user()), false, 'deleteUser(unknown user)');
      await expectUser(store, other, { factors: [kept], attempts: { failures: 1, lockedUntil: null }, recoveryCodes: 2 }, 'of another user after deleteUser');
    },
  },
  {
    name: 'factors: factor ids are unique per user only; two users may hold the same id independently',
    async run({ store, user }) {
      const u1 = user();
      const u2 = user();
      const id = factorId();
      const a = await activeFactor(store, u1, { counter: 10, over: { id } });
      const b = await activeFactor(store, u2, { counter: 10, over: { id } });
      equal(await store.advanceCounter(u1, id, 11, T + 5), { recoveryCodes: 0 }, 'advanceCounter(user 1, shared factor id)');
      equal(await store.renameFactor(u1, id, 'Renamed'), true, 'renameFactor(user 1, shared factor id)');
      await expectUser(store, u2, { factors: [b], attempts: CLEAN, recoveryCodes: 0 }, 'of user 2 after writes to user 1’s factor of the same id');
      equal(await store.removeFactor(u2, id), { removed: true, disabled: true }, 'removeFactor(user 2, shared factor id)');
      await expectUser(store, u1, { factors: [{ ...a, counter: 11, lastUsedAt: T + 5, label: 'Renamed' }], attempts: CLEAN, recoveryCodes: 0 }, 'of user 1 after user 2 removed the same id');
    },
  },
];

/** The FactorStore tests. */
export const factorCases: readonly Case[] = [...pending, ...activations, ...counter, ...others];
