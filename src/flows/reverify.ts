// Re-verification before a change to the second factor (OWASP Multifactor
// Authentication Cheat Sheet, "Changing MFA settings": require an existing
// factor before factors are changed or removed).
import { describe } from '../internal/assert.js';
import type { FactorRecord } from '../store/types.js';
import type { ReverifyFailure, ReverifyOptions } from '../types.js';
import type { ResolvedConfig } from './config.js';
import type { SignIn } from './sign-in.js';

/**
 * Checks the re-verification of a change; `null` when the change may go ahead.
 * `exempt` names changes that need no code for the user's current factors
 * (removing an enrolment that is still pending).
 */
export type Reverify = (userId: string, opts: unknown, now: number, exempt?: (factors: FactorRecord[]) => boolean) => Promise<ReverifyFailure | null>;

/**
 * Re-verification through the sign-in pipeline: a code given is a sign-in
 * answer (a TOTP code of any active factor, or a recovery code), counted
 * against the same attempt budget and spent like one, so it cannot be used
 * again. Without a code, policy `reverify: 'code'` refuses a user who has an
 * active factor with `reverify-required`; `'host'` lets the change through
 * (the host re-checked the user itself). A user without an active factor has
 * nothing a code could prove, so the change goes ahead either way.
 */
export function createReverify(cfg: ResolvedConfig, signIn: SignIn): Reverify {
  return async (userId, opts, now, exempt) => {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw new TypeError(`options must be an object { code? }, got ${describe(opts)}`);
    const code = (opts as ReverifyOptions | undefined)?.code;
    if (code === undefined) {
      if (cfg.reverify === 'host') return null;
      const { factors } = await cfg.store.getUser(userId);
      const needed = factors.some((f) => f.state === 'active') && !(exempt?.(factors) ?? false);
      return needed ? { ok: false, reason: 'reverify-required' } : null;
    }
    const r = await signIn(userId, code, now);
    if (r.ok || r.reason === 'not-enrolled') return null;
    return r as ReverifyFailure;
  };
}
