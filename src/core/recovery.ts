import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MfaError } from '../errors.js';
import { assertInteger, assertOptions, describe } from '../internal/assert.js';
import { randomString, type RandomSource } from '../internal/random.js';

/** Crockford base32: no I, L, O or U, so codes read aloud and typed survive. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 24 Crockford characters carry 120 bits (NIST SP 800-63B look-up secrets: at least 112). */
const CODE_CHARS = 24;
const GROUP = 4;
const MAX_INPUT_CHARS = 128;

/** Options of {@link generateRecoveryCodes}. */
export interface GenerateRecoveryCodesOptions {
  /** How many codes, 1–100. @default 10 */
  count?: number;
  /** Fills a buffer with random bytes. @default crypto.getRandomValues */
  random?: RandomSource;
}

/** Options of {@link hashRecoveryCode}. */
export interface HashRecoveryCodeOptions {
  /** Host secret keying the HMAC; without it the digest is plain SHA-256. */
  pepper?: string | Uint8Array;
}

/**
 * Generates one-time recovery codes: 120 random bits each, Crockford base32
 * in groups of four (`7K3M-Q9TD-…`). Show them once; store only {@link hashRecoveryCode}.
 *
 * @param opts - `count` (default 10) and an injectable `random`
 * @returns the codes, formatted for reading
 * @throws {RangeError} when `count` is outside 1–100
 * @example
 * const codes = generateRecoveryCodes(); // 10 × 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX'
 */
export function generateRecoveryCodes(opts: GenerateRecoveryCodesOptions = {}): string[] {
  assertOptions(opts);
  const count = opts.count ?? 10;
  assertInteger(count, 'count', 1, 100);
  const codes: string[] = [];
  for (let i = 0; i < count; i++) codes.push(group(randomString(CODE_CHARS, CROCKFORD, opts.random)));
  return codes;
}

/**
 * The canonical form of a typed recovery code: upper case, grouped by dashes,
 * with spaces and dashes ignored and the look-alikes O→0, I/L→1 mapped.
 * Never throws on end-user input.
 *
 * @param input - what the user typed
 * @returns the canonical code, or `null` when the input is not a recovery code
 * @example
 * normalizeRecoveryCode('7k3m q9td-…'); // '7K3M-Q9TD-…'
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_CHARS) return null;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    let c = input.charCodeAt(i);
    if (c === 0x20 || c === 0x2d || c === 0x09) continue;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    if (c === 0x4f) c = 0x30; // O → 0
    else if (c === 0x49 || c === 0x4c) c = 0x31; // I, L → 1
    const ch = String.fromCharCode(c);
    if (c > 0x7f || !CROCKFORD.includes(ch)) return null;
    out += ch;
  }
  return out.length === CODE_CHARS ? group(out) : null;
}

/**
 * A digest of a recovery code that is safe to store: HMAC-SHA-256 under the
 * host's `pepper`, or SHA-256 without one (NIST SP 800-63B §5.1.2.2 allows a
 * one-way function for look-up secrets of at least 112 bits). The code is
 * normalised first, so every way of typing it hashes the same.
 *
 * @param code - a recovery code in any form {@link normalizeRecoveryCode} accepts
 * @param opts - `pepper`
 * @returns lower-case hex digest (64 characters)
 * @throws {MfaError} `INVALID_RECOVERY_CODE` when `code` is not a recovery code; {@link TypeError} on a bad pepper
 * @example
 * const stored = codes.map((c) => hashRecoveryCode(c, { pepper }));
 */
export function hashRecoveryCode(code: string, opts: HashRecoveryCodeOptions = {}): string {
  assertOptions(opts);
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new MfaError('INVALID_RECOVERY_CODE', 'not a recovery code (24 Crockford base32 characters)');
  const data = utf8ToBytes(canonical);
  if (opts.pepper === undefined) return bytesToHex(sha256(data));
  const pepper = typeof opts.pepper === 'string' ? utf8ToBytes(opts.pepper) : opts.pepper;
  if (!(pepper instanceof Uint8Array) || pepper.length === 0) {
    throw new TypeError(`pepper must be a non-empty string or Uint8Array, got ${describe(opts.pepper)}`);
  }
  return bytesToHex(hmac(sha256, pepper, data));
}

/** Options of {@link formatRecoveryCodesText}: what the saved file says the codes are for. */
export interface RecoveryCodesTextOptions {
  /** The service, as in the authenticator app. */
  issuer: string;
  /** The user's account name, e.g. the e-mail address. */
  account: string;
  /** When the set was made, ms since the epoch. */
  createdAt: number;
}

/**
 * The text a "Download" or "Copy" button of the recovery-codes page saves: a
 * heading naming the service and the account, the date, a line on how the
 * codes work, and the codes numbered one per line (LF line ends, ASCII only
 * besides the issuer and account given).
 *
 * @param codes - the codes just shown, in any form {@link normalizeRecoveryCode} accepts
 * @param opts - `issuer`, `account`, `createdAt`
 * @returns the file's text
 * @throws {TypeError} when a code is not a recovery code, or an option is missing or holds a line break or control character
 * @example
 * res.setHeader('Content-Disposition', 'attachment; filename="acme-recovery-codes.txt"');
 * res.end(formatRecoveryCodesText(codes, { issuer: 'ACME', account: user.email, createdAt: Date.now() }));
 */
export function formatRecoveryCodesText(codes: readonly string[], opts: RecoveryCodesTextOptions): string {
  if (!Array.isArray(codes) || codes.length === 0 || codes.length > 100) throw new TypeError('codes must be an array of 1–100 recovery codes');
  assertOptions(opts);
  const canonical = codes.map((c) => {
    const code = normalizeRecoveryCode(c);
    if (code === null) throw new TypeError('codes must hold recovery codes only');
    return code;
  });
  for (const key of ['issuer', 'account'] as const) {
    const v = opts?.[key];
    if (typeof v !== 'string' || v.trim() === '' || /[\u0000-\u001f\u007f]/.test(v)) throw new TypeError(`${key} must be a non-blank string without line breaks or control characters`);
  }
  if (typeof opts.createdAt !== 'number' || !Number.isFinite(opts.createdAt)) throw new TypeError(`createdAt must be ms since the epoch, got ${describe(opts.createdAt)}`);
  const width = String(canonical.length).length;
  return [
    `${opts.issuer} recovery codes`,
    `Account: ${opts.account}`,
    `Created: ${new Date(opts.createdAt).toISOString()}`,
    '',
    'Each code signs you in once when you cannot use your authenticator app.',
    'Keep them somewhere safe, apart from your phone. Making a new set cancels these.',
    '',
    ...canonical.map((c, i) => `${String(i + 1).padStart(width, ' ')}. ${c}`),
    '',
  ].join('\n');
}

function group(code: string): string {
  let out = code.slice(0, GROUP);
  for (let i = GROUP; i < code.length; i += GROUP) out += `-${code.slice(i, i + GROUP)}`;
  return out;
}
