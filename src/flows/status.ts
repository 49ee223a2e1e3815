import { assertUserId } from '../internal/ids.js';
import type { FactorRecord } from '../store/types.js';
import type { FactorInfo, Mfa, MfaStatus } from '../types.js';
import { requiredFor, type ResolvedConfig } from './config.js';
import { LOW_RECOVERY_CODES } from './factors/recovery.js';
import { isWeak } from './factors/totp.js';

/** A factor as the settings page sees it: never its secret; expired enrolments left out. */
function factorInfo(f: FactorRecord): FactorInfo {
  const info: FactorInfo = { id: f.id, kind: f.kind, label: f.label, state: f.state, createdAt: f.createdAt, lastUsedAt: f.lastUsedAt, weakSecret: isWeak(f) };
  if (f.expiresAt !== null) info.expiresAt = f.expiresAt;
  return info;
}

const live = (now: number) => (f: FactorRecord): boolean => f.state === 'active' || (f.expiresAt !== null && f.expiresAt > now);

/** status and listFactors of {@link Mfa}: one store read each. */
export function statusFlows(cfg: ResolvedConfig): Pick<Mfa, 'status' | 'listFactors'> {
  return {
    async listFactors(userId) {
      assertUserId(userId);
      const now = cfg.clock();
      const { factors } = await cfg.store.getUser(userId);
      return factors.filter(live(now)).sort((a, b) => a.createdAt - b.createdAt).map(factorInfo);
    },

    async status(userId) {
      assertUserId(userId);
      const now = cfg.clock();
      const [user, policy] = await Promise.all([cfg.store.getUser(userId), requiredFor(cfg, userId, now)]);
      const factors = user.factors.filter(live(now)).sort((a, b) => a.createdAt - b.createdAt);
      const enrolled = factors.some((f) => f.state === 'active');
      const suspended = enrolled && user.attempts.failures >= cfg.schedule.suspendAfter;
      const status: MfaStatus = {
        state: suspended ? 'suspended' : enrolled ? 'active' : factors.length > 0 ? 'pending' : 'none',
        enrolled,
        required: policy.required,
        mustEnroll: policy.required && !enrolled && !policy.inGrace,
        factors: factors.map(factorInfo),
        recoveryCodesRemaining: enrolled ? user.recoveryCodes : 0,
        warnings: [],
      };
      if (enrolled && user.recoveryCodes <= LOW_RECOVERY_CODES) status.warnings.push('recovery-codes-low');
      if (enrolled && user.attempts.failures >= cfg.warnAfter) status.warnings.push('failed-attempts');
      if (factors.some((f) => f.state === 'active' && isWeak(f))) status.warnings.push('weak-secret');
      if (policy.graceEndsAt !== undefined && !enrolled) status.graceEndsAt = policy.graceEndsAt;
      const { lockedUntil } = user.attempts;
      if (enrolled && lockedUntil !== null && lockedUntil > now) status.lockedUntil = lockedUntil;
      return status;
    },
  };
}
