import { decodeSecret, encodeSecret, generateSecret, MIN_SECRET_BYTES, secretBytes } from '../core/secret.js';
import { buildOtpauthUri } from '../core/uri.js';
import { MfaError } from '../errors.js';
import { assertInteger, describe } from '../internal/assert.js';
import { assertLabel, assertUserId } from '../internal/ids.js';
import { resolveOtp, resolveTimeStep } from '../internal/options.js';
import { fillRandom } from '../internal/random.js';
import type { Activated, AttemptStart, FactorRecord } from '../store/types.js';
import type { ConfirmEnrollmentResult, Mfa } from '../types.js';
import { runAttempt, type AttemptKind } from './attempt.js';
import type { ResolvedConfig } from './config.js';
import type { ConfirmMatch } from './factors/activation.js';
import { newRecoveryCodes } from './factors/recovery.js';
import { isTotpCode, paramsOf, TOTP, totpConfirm, totpMeta, type VerifierCache } from './factors/totp.js';
import { toBase64Url } from './secrets.js';

const DEFAULT_LABEL = 'Authenticator app';
const IMPORTED_LABEL = 'Imported authenticator';

/** A new factor id: 128 random bits, base64url. */
export function newFactorId(cfg: ResolvedConfig): string {
  const bytes = new Uint8Array(16);
  fillRandom(bytes, cfg.random);
  return toBase64Url(bytes);
}

/** A pending factor of `kind` (TOTP unless given) with `secret` sealed under its id; zeroes `secret`. */
export async function pendingFactor(cfg: ResolvedConfig, f: { id: string; userId: string; label: string; now: number; secret: Uint8Array; meta: string; kind?: string }): Promise<FactorRecord> {
  let sealed: string;
  try {
    sealed = await cfg.vault.seal(f.userId, f.id, f.secret);
  } finally {
    f.secret.fill(0);
  }
  return {
    id: f.id, userId: f.userId, kind: f.kind ?? TOTP, label: f.label, state: 'pending', secret: sealed, counter: -1,
    createdAt: f.now, expiresAt: f.now + cfg.enrollmentTtlMs, lastUsedAt: null, meta: f.meta,
  };
}

/**
 * The codes of a confirmation: one code, or an array of two consecutive ones
 * (always taken as a two-code confirmation); one code where `confirm.codes`
 * asks for two, or anything not shaped like codes, is `null`: malformed.
 */
function confirmationCodes(input: unknown, needed: 1 | 2): readonly [string] | readonly [string, string] | null {
  if (Array.isArray(input)) return input.length === 2 && input.every(isTotpCode) ? (input as [string, string]) : null;
  return needed === 1 && isTotpCode(input) ? [input] : null;
}

/** beginEnrollment, confirmEnrollment and importFactor of {@link Mfa}. */
export function enrollmentFlows(cfg: ResolvedConfig, cache: VerifierCache): Pick<Mfa, 'beginEnrollment' | 'confirmEnrollment' | 'importFactor'> {
  const confirm = totpConfirm(cfg, cache);
  return {
    async beginEnrollment(userId, opts) {
      assertUserId(userId);
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`options must be an object { account, label?, restart? }, got ${describe(opts)}`);
      const label = opts.label ?? DEFAULT_LABEL;
      assertLabel(label);
      if (opts.restart !== undefined && typeof opts.restart !== 'boolean') throw new TypeError(`restart must be a boolean, got ${describe(opts.restart)}`);
      const now = cfg.clock();
      const id = newFactorId(cfg);
      const fresh = generateSecret(cfg.random === undefined ? {} : { random: cfg.random });
      // Built first: a bad account is refused before anything is stored.
      const uriOf = (secret: string, factor: FactorRecord): string => buildOtpauthUri({ issuer: cfg.issuer, account: opts.account, secret, ...paramsOf(factor) });
      const record = await pendingFactor(cfg, { id, userId, label, now, secret: decodeSecret(fresh), meta: totpMeta(cfg.totp) });
      const uri = uriOf(fresh, record);
      const put = (replace: boolean) => cfg.store.putPendingFactor(record, { now, maxFactors: cfg.maxFactors, replace });
      let r = await put(opts.restart === true);
      // A passkey registration pending under the same label is not this enrolment: replace it.
      if (r.ok && r.factor.kind !== TOTP) r = await put(true);
      if (!r.ok) throw new MfaError('FACTOR_LIMIT', `the user already has ${cfg.maxFactors} authenticators; remove one first`);
      const factor = r.factor;
      if (factor.id === id) {
        cfg.emit(() => ({ type: 'enrollment.started', userId, at: now, factorId: id }));
        return { factorId: id, secret: fresh, uri, expiresAt: factor.expiresAt as number };
      }
      // The same label is still pending: show the secret already scanned, not a new one.
      const { secret } = await cfg.vault.open(userId, factor.id, factor.secret);
      const text = encodeSecret(secret);
      secret.fill(0);
      return { factorId: factor.id, secret: text, uri: uriOf(text, factor), expiresAt: factor.expiresAt as number };
    },

    async importFactor(userId, opts) {
      assertUserId(userId);
      if (typeof opts !== 'object' || opts === null) throw new TypeError(`options must be an object { secret, … }, got ${describe(opts)}`);
      const label = opts.label ?? IMPORTED_LABEL;
      assertLabel(label);
      const otp = resolveOtp({ algorithm: opts.algorithm, digits: opts.digits });
      const params = { algorithm: otp.algorithm, digits: otp.digits, period: resolveTimeStep({ period: opts.period }).period };
      const lastStep = opts.lastStep ?? -1;
      assertInteger(lastStep, 'lastStep', -1, Number.MAX_SAFE_INTEGER);
      const bytes = typeof opts.secret === 'string' ? decodeSecret(opts.secret) : secretBytes(opts.secret).slice();
      if (bytes.length === 0) throw new MfaError('INVALID_SECRET', 'secret is empty');
      const weakSecret = bytes.length < MIN_SECRET_BYTES;
      const now = cfg.clock();
      const id = newFactorId(cfg);
      const record = await pendingFactor(cfg, { id, userId, label, now, secret: bytes, meta: totpMeta(params, weakSecret) });
      // Two steps: stored pending, then activated with its last step. A failure between
      // them leaves an enrolment that nobody can confirm without the secret, and that expires.
      const put = await cfg.store.putPendingFactor(record, { now, maxFactors: cfg.maxFactors, replace: true });
      if (!put.ok) throw new MfaError('FACTOR_LIMIT', `the user already has ${cfg.maxFactors} authenticators; remove one first`);
      const { codes, set } = await newRecoveryCodes(cfg, userId, now);
      const activated = await cfg.store.activateFactor(userId, id, { counter: lastStep, now, meta: record.meta, recovery: set });
      if (activated === null) throw new MfaError('NOT_ENROLLED', 'the imported factor was removed before it became active');
      cfg.emit(() => ({ type: 'enrollment.confirmed', userId, at: now, factorId: id }));
      return activated.recoveryCodesIssued ? { factorId: id, weakSecret, recoveryCodes: codes } : { factorId: id, weakSecret };
    },

    async confirmEnrollment(userId, code) {
      assertUserId(userId);
      const now = cfg.clock();
      const answer = confirmationCodes(code, cfg.confirmCodes);
      if (answer === null) return { ok: false, reason: 'malformed' };
      const { codes, set } = await newRecoveryCodes(cfg, userId, now);
      return confirmPending(cfg, confirm, userId, { codes: answer, recovery: set }, codes, now);
    },
  };
}

/**
 * Runs the confirmation of a pending factor (a first code, a passkey's
 * registration) through the attempt pipeline and answers it: the recovery
 * codes go with the user's first factor, and "nothing pending" says
 * `expired` when an enrolment ran out, so the page can offer to start again.
 */
export async function confirmPending<Input>(
  cfg: ResolvedConfig,
  kind: AttemptKind<Input, AttemptStart, ConfirmMatch, Activated>,
  userId: string,
  input: Input,
  codes: string[],
  now: number,
): Promise<ConfirmEnrollmentResult> {
  const r = await runAttempt(cfg, kind, userId, input, now);
  if (!r.ok) {
    if (r.failure.reason !== 'not-enrolled') return r.failure as Exclude<typeof r.failure, { reason: 'replayed' }>;
    const { factors } = await cfg.store.getUser(userId);
    return { ok: false, reason: factors.some((f) => f.state === 'pending') ? 'expired' : 'not-enrolled' };
  }
  const factorId = r.match.factorId;
  cfg.emit(() => ({ type: 'enrollment.confirmed', userId, at: now, factorId }));
  return r.result.recoveryCodesIssued ? { ok: true, factorId, recoveryCodes: codes } : { ok: true, factorId };
}
