import { assertUserId } from '../internal/ids.js';
import type { CreateMfaOptions, Mfa } from '../types.js';
import { adminFlows } from './admin.js';
import { challengeFlows } from './challenge.js';
import { resolveConfig } from './config.js';
import { enrollmentFlows } from './enrollment.js';
import { codeFlows } from './factors/oob-code.js';
import { createVerifierCache } from './factors/totp.js';
import { deviceFlows } from './devices.js';
import { passkeyFlows } from './passkeys.js';
import { createReverify } from './reverify.js';
import { createSignIn } from './sign-in.js';
import { statusFlows } from './status.js';

/**
 * Creates the stateful MFA flows over a store: enrolment of several
 * authenticators with a first-code confirmation, sign-in with a TOTP or
 * recovery code (replay-protected and throttled), recovery-code
 * regeneration, factor management, disable, administrator reset, status and
 * the required-MFA policy, the API's pending second step, and e-mail/SMS
 * codes. See docs/flows.md and docs/security.md.
 *
 * Every method is async. What an end user typed is answered with
 * `{ ok: false, reason }`, never an exception; a failing store becomes
 * `MfaError('STORE_UNAVAILABLE')`, never a success.
 *
 * @param opts - see {@link CreateMfaOptions}; `store` and `issuer` are required
 * @returns the flows
 * @throws {MfaError} `INVALID_CONFIG` on a missing store method, a bad issuer,
 *   key ring, pepper, policy or TOTP option, an option present but `undefined`,
 *   or no `secretKeys` without `allowPlaintextSecrets`
 * @example
 * const mfa = createMfa({
 *   store: createMemoryStore(),
 *   issuer: 'ACME',
 *   secretKeys: { current: 'k1', keys: { k1: process.env.MFA_KEY_K1! } },
 *   pepper: process.env.MFA_PEPPER!,
 *   policy: { required: true },
 * });
 * const result = await mfa.verify(user.id, req.body.code);
 * if (!result.ok) return res.status(401).json(result);
 */
export function createMfa(opts: CreateMfaOptions): Mfa {
  const cfg = resolveConfig(opts);
  const cache = createVerifierCache(cfg);
  const signIn = createSignIn(cfg, cache);
  const reverify = createReverify(cfg, signIn);
  return Object.freeze({
    ...enrollmentFlows(cfg, cache),
    verify(userId: string, code: unknown) {
      try {
        assertUserId(userId);
        return signIn(userId, code, cfg.clock());
      } catch (err) {
        return Promise.reject(err);
      }
    },
    ...statusFlows(cfg),
    ...adminFlows(cfg, reverify),
    ...deviceFlows(cfg, reverify),
    ...challengeFlows(cfg, signIn),
    ...codeFlows(cfg),
    ...passkeyFlows(cfg),
  });
}
