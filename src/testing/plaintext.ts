// Raw storage (`rawDump`): what a dump of the store's own storage can prove at the store level.
import type { MfaStore } from '../store/types.js';
import { activation, activeFactor, type Case, digest, digests, equal, fail, type Kit, ok, oneTime, pendingFactor, putOpts, recoverySet, sealed, T } from './kit.js';
import { challengeRecord, codeRecord } from './one-time.js';

/**
 * The raw-storage tests, registered when the host passes `rawDump`.
 *
 * A store never receives a plaintext secret, recovery code, e-mail/SMS code,
 * token or destination: the flows seal secrets and hash everything else
 * before calling it. So at the store level a dump cannot catch a plaintext
 * leak; what it can prove is what makes the flow-level scan (createMfa's
 * tests, which run a whole enrolment and sign-in and then search the same
 * dump for every encoding of the secret and the codes) meaningful, and that
 * deleting really deletes:
 *
 * 1. **The dump is the storage, shown verbatim.** User ids, sealed secrets,
 *    labels, meta and digests the kit wrote appear in the dump exactly as
 *    given, so a scan of it would find a plaintext if the flows ever passed
 *    one. (A hook that returns nothing, or a store that re-encodes text,
 *    would make every plaintext scan pass vacuously.)
 * 2. **Deleted means gone.** A consumed recovery-code digest, a replaced set,
 *    a secret replaced by `resealFactor` (its old key may be retired), a
 *    removed factor, an accepted or deleted code, a deleted challenge and
 *    everything of a deleted user are absent from the dump — no soft delete,
 *    no history table.
 * 3. **Reads and refusals leave no trace.** Calls for an unknown user, and
 *    writes the contract refuses, add nothing to storage: the user id of an
 *    unknown user never appears, nor does a refused record.
 *
 * The dump may hold other tests' rows (a shared database): every check looks
 * for the kit's own random values only.
 */
async function contains(kit: Kit, values: Record<string, string>, when: string): Promise<void> {
  const dump = await (kit.dump as () => Promise<string>)();
  const missing = Object.entries(values).filter(([, v]) => !dump.includes(v));
  ok(missing.length === 0, `rawDump ${when}: expected these values verbatim in raw storage, missing ${missing.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`);
}

async function lacks(kit: Kit, values: Record<string, string>, when: string): Promise<void> {
  const dump = await (kit.dump as () => Promise<string>)();
  const found = Object.entries(values).filter(([, v]) => dump.includes(v));
  ok(found.length === 0, `rawDump ${when}: expected these values gone from raw storage, found ${found.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}`);
}

/** The random part of the kit's meta text: the rest is JSON, which a JSON dump shows escaped. */
function metaMark(meta: string): string {
  return (JSON.parse(meta) as { n: string }).n;
}

async function enrolled(store: MfaStore, userId: string) {
  const codes = digests(3);
  const factor = await activeFactor(store, userId, { codes });
  return { factor, codes };
}

/** The raw-storage tests: see the comment above. */
export const plaintextCases: readonly Case[] = [
  {
    name: 'rawDump: shows what the store holds verbatim (user id, sealed secret, label, meta, recovery digests)',
    async run(kit) {
      const u = kit.user();
      const { factor, codes } = await enrolled(kit.store, u);
      await contains(kit, { userId: u, secret: factor.secret, label: factor.label, meta: metaMark(factor.meta), 'recovery digest': codes[2] as string }, 'after an enrolment');
    },
  },
  {
    name: 'rawDump: shows code digests and challenge ids verbatim',
    needs: 'oneTime',
    async run(kit) {
      const u = kit.user();
      const c = codeRecord(u);
      await oneTime(kit.store).putCode(c, 0);
      const ch = challengeRecord(u);
      await oneTime(kit.store).putChallenge(ch);
      await contains(kit, { 'code digest': c.digest, 'challenge id': ch.id }, 'after putCode and putChallenge');
    },
  },
  {
    name: 'rawDump: consumed and replaced recovery digests and resealed secrets are gone',
    async run(kit) {
      const { store } = kit;
      const u = kit.user();
      const { factor, codes } = await enrolled(store, u);
      await store.consumeRecoveryCode(u, codes[0] as string);
      await lacks(kit, { 'consumed digest': codes[0] as string }, 'after consumeRecoveryCode');
      const next = digests(2);
      await store.replaceRecoveryCodes(u, recoverySet(next));
      await lacks(kit, { 'replaced digest 2': codes[1] as string, 'replaced digest 3': codes[2] as string }, 'after replaceRecoveryCodes');
      const resealed = sealed();
      await store.resealFactor(u, factor.id, factor.secret, resealed);
      await contains(kit, { 'new sealed secret': resealed, 'new recovery digest': next[0] as string }, 'after resealFactor');
      await lacks(kit, { 'old sealed secret': factor.secret }, 'after resealFactor');
    },
  },
  {
    name: 'rawDump: a removed factor is gone, and removing the last one or deleting the user leaves nothing of the user',
    async run(kit) {
      const { store } = kit;
      const u = kit.user();
      const { factor: a, codes } = await enrolled(store, u);
      const b = await activeFactor(store, u);
      const p = pendingFactor(u);
      await store.putPendingFactor(p, putOpts());
      await fail(store, u, 2);
      await store.removeFactor(u, b.id);
      await lacks(kit, { 'removed secret': b.secret, 'removed meta': metaMark(b.meta) }, 'after removeFactor of one of two active factors');
      await store.removeFactor(u, a.id);
      await lacks(kit, { userId: u, secret: a.secret, 'pending secret': p.secret, 'recovery digest': codes[1] as string }, 'after removeFactor of the last active factor');
      const v = kit.user();
      const { factor: c } = await enrolled(store, v);
      await fail(store, v, 1);
      await store.deleteUser(v);
      await lacks(kit, { userId: v, secret: c.secret }, 'after deleteUser');
    },
  },
  {
    name: 'rawDump: accepted and deleted codes, deleted and expired challenges and a deleted user’s codes are gone',
    needs: 'oneTime',
    async run(kit) {
      const { store } = kit;
      const u = kit.user();
      await activeFactor(store, u);
      const accepted = codeRecord(u);
      const deleted = codeRecord(u);
      await oneTime(store).putCode(accepted, 0);
      await oneTime(store).putCode(deleted, 0);
      await oneTime(store).beginCodeAttempt(u, accepted.id, T, { locks: [0], suspendAfter: 100 });
      await oneTime(store).acceptCode(u, accepted.id, { locks: [0], suspendAfter: 100 });
      await oneTime(store).deleteCode(u, deleted.id);
      await lacks(kit, { 'accepted code digest': accepted.digest, 'deleted code digest': deleted.digest }, 'after acceptCode and deleteCode');
      const gone = challengeRecord(u);
      const expired = challengeRecord(u);
      await oneTime(store).putChallenge(gone);
      await oneTime(store).putChallenge(expired);
      await oneTime(store).deleteChallenge(gone.id);
      await oneTime(store).spendChallenge(expired.id, expired.expiresAt);
      await lacks(kit, { 'deleted challenge id': gone.id, 'expired challenge id': expired.id }, 'after deleteChallenge and spending an expired challenge');
      const v = kit.user();
      const kept = codeRecord(v);
      await oneTime(store).putCode(kept, 0);
      await store.deleteUser(v);
      await lacks(kit, { 'code digest of a deleted user': kept.digest, userId: v }, 'after deleteUser of a user with a code');
    },
  },
  {
    name: 'rawDump: calls for an unknown user and refused writes leave no trace',
    async run(kit) {
      const { store } = kit;
      const nobody = kit.user();
      await store.getUser(nobody);
      await store.beginAttempt(nobody, 'active', T, { locks: [0], suspendAfter: 100 });
      await store.beginAttempt(nobody, 'pending', T, { locks: [0], suspendAfter: 100 });
      await store.refundAttempt(nobody, { locks: [0], suspendAfter: 100 });
      await store.advanceCounter(nobody, 'f_none', 5, T);
      await store.activateFactor(nobody, 'f_none', activation(5, T, digests(1), '{}'));
      await store.consumeRecoveryCode(nobody, digest());
      await store.replaceRecoveryCodes(nobody, recoverySet(digests(1)));
      await store.renameFactor(nobody, 'f_none', 'x');
      await store.removeFactor(nobody, 'f_none');
      if (store.supports.oneTime) {
        await oneTime(store).beginCodeAttempt(nobody, digest(), T, { locks: [0], suspendAfter: 100 });
        await oneTime(store).acceptCode(nobody, digest(), { locks: [0], suspendAfter: 100 });
        await oneTime(store).deleteCode(nobody, digest());
      }
      await lacks(kit, { 'unknown user id': nobody }, 'after reads and refused writes for an unknown user');
      await store.deleteUser(nobody);
      const u = kit.user();
      await activeFactor(store, u);
      const refused = pendingFactor(u);
      equal(await store.putPendingFactor(refused, putOpts(T, 1)), { ok: false, reason: 'limit' }, 'putPendingFactor(beyond maxFactors)');
      const rejected = digests(2);
      const pendingOnly = kit.user();
      await store.putPendingFactor(pendingFactor(pendingOnly), putOpts());
      await store.replaceRecoveryCodes(pendingOnly, recoverySet(rejected));
      await lacks(kit, { 'unknown user id': nobody, 'refused factor secret': refused.secret, 'refused recovery digest': rejected[0] as string }, 'after reads and refused writes');
    },
  },
];
