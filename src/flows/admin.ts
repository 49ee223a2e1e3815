// Changes to a user's factors from the settings page and by an administrator.
import { MfaError } from '../errors.js';
import { assertInteger, describe } from '../internal/assert.js';
import { assertFactorId, assertLabel, assertUserId } from '../internal/ids.js';
import type { Mfa } from '../types.js';
import type { ResolvedConfig } from './config.js';
import { newRecoveryCodes } from './factors/recovery.js';
import { requireCapability } from './store.js';

/** renameFactor, removeFactor, regenerateRecoveryCodes, disable and reset of {@link Mfa}. */
export function adminFlows(cfg: ResolvedConfig): Pick<Mfa, 'renameFactor' | 'removeFactor' | 'regenerateRecoveryCodes' | 'disable' | 'reset' | 'listEnrolled' | 'countEnrolled'> {
  const { store, emit } = cfg;
  return {
    async renameFactor(userId, factorId, label) {
      assertUserId(userId);
      assertFactorId(factorId);
      assertLabel(label);
      return store.renameFactor(userId, factorId, label);
    },

    async removeFactor(userId, factorId) {
      assertUserId(userId);
      assertFactorId(factorId);
      const now = cfg.clock();
      const r = await store.removeFactor(userId, factorId);
      if (r.removed) emit(() => ({ type: 'factor.removed', userId, at: now, factorId }));
      if (r.disabled) emit(() => ({ type: 'mfa.disabled', userId, at: now }));
      return r;
    },

    async regenerateRecoveryCodes(userId) {
      assertUserId(userId);
      const now = cfg.clock();
      const { codes, digests } = newRecoveryCodes(cfg);
      // One conditional step: a concurrent disable cannot leave codes behind.
      if (!(await store.replaceRecoveryCodes(userId, digests))) throw new MfaError('NOT_ENROLLED', 'recovery codes need an active factor');
      emit(() => ({ type: 'recovery.regenerated', userId, at: now }));
      return codes;
    },

    async disable(userId) {
      assertUserId(userId);
      const now = cfg.clock();
      const existed = await store.deleteUser(userId);
      if (existed) emit(() => ({ type: 'mfa.disabled', userId, at: now }));
      return existed;
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
