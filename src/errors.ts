/**
 * Stable error codes carried by {@link MfaError}. Codes never change within a
 * major version; messages may.
 *
 * - `INVALID_SECRET`: a secret is not valid base32 (the message names the
 *   character and its 1-based position), is empty, or is too long. A secret
 *   shorter than 16 bytes is not an error: it is computed with and flagged as
 *   weak (RFC 4226 §4 R6 applies to the secrets mfakit makes).
 * - `INVALID_URI`: an `otpauth://` URI could not be parsed; `message` says why.
 * - `INVALID_RECOVERY_CODE`: a string given to {@link hashRecoveryCode} is not
 *   a recovery code.
 * - `INVALID_CONFIG`: `createMfa` or an adapter was configured wrongly.
 * - `NOT_ENROLLED`: an operation needs an active factor and the user has none.
 * - `FACTOR_LIMIT`: enrolment was started for a user who has as many
 *   authenticators as `maxFactors` allows (8 by default).
 * - `SECRET_DECRYPTION_FAILED`: a stored secret could not be decrypted (wrong
 *   key ring, a record copied to another user, or tampering).
 * - `STORE_UNAVAILABLE`: the storage adapter failed; nothing was accepted.
 */
export type MfaErrorCode =
  | 'INVALID_SECRET'
  | 'INVALID_URI'
  | 'INVALID_RECOVERY_CODE'
  | 'INVALID_CONFIG'
  | 'NOT_ENROLLED'
  | 'FACTOR_LIMIT'
  | 'SECRET_DECRYPTION_FAILED'
  | 'STORE_UNAVAILABLE';

const BRAND = Symbol.for('mfakit.MfaError');

/**
 * The one domain error of mfakit. Check `code`, never `message`.
 * Messages never contain a secret, a code or a recovery code.
 *
 * @example
 * try { decodeSecret('JBSW!') } catch (e) { if (isMfaError(e, 'INVALID_SECRET')) … }
 */
export class MfaError extends Error {
  /** Stable machine-readable code. */
  readonly code: MfaErrorCode;
  declare readonly [BRAND]: true;

  /**
   * @param code - stable error code
   * @param message - human-readable explanation (no secrets)
   * @param options - standard `ErrorOptions`, e.g. `{ cause }`
   */
  constructor(code: MfaErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MfaError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True when `value` is an {@link MfaError}, also one from another realm or
 * another copy of mfakit (checked by a registered symbol, not `instanceof`).
 *
 * @param value - anything caught
 * @param code - optionally, the code it must carry
 * @returns whether `value` is an MfaError (with that code)
 * @example
 * if (isMfaError(err, 'STORE_UNAVAILABLE')) return res.status(503).end();
 */
export function isMfaError(value: unknown, code?: MfaErrorCode): value is MfaError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as MfaError).code === code;
}
