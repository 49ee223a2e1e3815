// Changes to a user's factors from the settings page and by an administrator.
import { MfaError } from '../errors.js';
import { assertInteger, describe } from '../internal/assert.js';
import { assertFactorId, assertLabel, assertUserId } from '../internal/ids.js';
import type { Mfa } from '../types.js';
import type { ResolvedConfig } from './config.js';
import { newRecoveryCodes, unusedRecoveryCodes } from './factors/recovery.js';
import type { Reverify } from './reverify.js';
import { requireCapability } from './store.js';

/**
 * renameFactor, removeFactor, regenerateRecoveryCodes, viewRecoveryCodes,
 * disable, reset and the enrolment listing of {@link Mfa}; the changes a user
 * makes are re-verified first.
 */
export function adminFlows(
  cfg: ResolvedConfig,
  reverify: Reverify,
): Pick<Mfa, 'renameFactor' | 'removeFactor' | 'regenerateRecoveryCodes' | 'viewRecoveryCodes' | 'disable' | 'reset' | 'listEnrolled' | 'countEnrolled'> {
  const { store, emit } = cfg;
  return {
    async renameFactor(userId, factorId, label) {
      assertUserId(userId);
      assertFactorId(factorId);
      assertLabel(label);
      return store.renameFactor(userId, factorId, label);
    },

    async removeFactor(userId, factorId, opts) {
      assertUserId(userId);
      assertFactorId(factorId);
      const now = cfg.clock();
      // Cancelling an enrolment that is still pending gives nobody anything: no code needed.
      const refused = await reverify(userId, opts, now, (factors) => factors.some((f) => f.id === factorId && f.state === 'pending'));
      if (refused !== null) return refused;
      const r = await store.removeFactor(userId, factorId);
      if (r.removed) emit(() => ({ type: 'factor.removed', userId, at: now, factorId }));
      if (r.disabled) emit(() => ({ type: 'mfa.disabled', userId, at: now }));
      return { ok: true, removed: r.removed, disabled: r.disabled };
    },

    async regenerateRecoveryCodes(userId, opts) {
      assertUserId(userId);
      const now = cfg.clock();
      const refused = await reverify(userId, opts, now);
      if (refused !== null) return refused;
      const { codes, set } = await newRecoveryCodes(cfg, userId, now);
      // One conditional step: a concurrent disable cannot leave codes behind.
      if (!(await store.replaceRecoveryCodes(userId, set))) throw new MfaError('NOT_ENROLLED', 'recovery codes need an active factor');
      emit(() => ({ type: 'recovery.regenerated', userId, at: now }));
      return { ok: true, recoveryCodes: codes, createdAt: now };
    },

    async viewRecoveryCodes(userId, opts) {
      assertUserId(userId);
      if (!cfg.viewableRecoveryCodes) throw new MfaError('INVALID_CONFIG', 'viewRecoveryCodes needs createMfa({ recoveryCodes: { viewable: true } })');
      const now = cfg.clock();
      const refused = await reverify(userId, opts, now);
      if (refused !== null) return refused;
      // Read after the re-verification, so a recovery code spent on it is not shown.
      const { codes, createdAt } = await unusedRecoveryCodes(cfg, userId, await store.getRecoveryCodes(userId));
      return { ok: true, recoveryCodes: codes, createdAt };
    },

    async disable(userId, opts) {
      assertUserId(userId);
      const now = cfg.clock();
      const refused = await reverify(userId, opts, now);
      if (refused !== null) return refused;
      const disabled = await store.deleteUser(userId);
      if (disabled) emit(() => ({ type: 'mfa.disabled', userId, at: now }));
      return { ok: true, disabled };
    },

    async listEnrolled(opts = {}) {
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`options must be an object { cursor?, limit? }, got ${describe(opts)}`);
      const cursor = opts.cursor ?? null;
      if (cursor !== null) assertUserId(cursor);
      const limit = opts.limit ?? 100;
      assertInteger(limit, 'limit', 1, 1000);
      const page = await requireCapability(store, 'listing', 'listEnrolled').listEnrolled({ cursor, limit });
      const { suspendAfter } = cfg.schedule;
      return {
        users: page.users.map((u) => ({ userId: u.userId, factors: u.factors, kinds: u.kinds, lastUsedAt: u.lastUsedAt, suspended: u.failures >= suspendAfter })),
        cursor: page.cursor,
      };
    },

    countEnrolled: () => requireCapability(store, 'listing', 'countEnrolled').countEnrolled(),

    async reset(userId, opts) {
      assertUserId(userId);
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`options must be an object { actor, reason }, got ${describe(opts)}`);
      const { actor, reason } = opts;
      if (typeof actor !== 'string' || actor.length === 0) throw new TypeError('actor must be a non-empty string naming who resets');
      if (typeof reason !== 'string') throw new TypeError(`reason must be a string, got ${describe(reason)}`);
      const now = cfg.clock();
      const existed = await store.deleteUser(userId);
      emit(() => ({ type: 'mfa.reset', userId, at: now, actor, reason }));
      return existed;
    },
  };
}
