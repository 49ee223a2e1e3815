import { MfaError } from '../errors.js';
import { assertInteger, assertOptions, assertString, describe } from '../internal/assert.js';
import type { Algorithm } from '../internal/hmac.js';
import { algorithmFromName, ALGORITHMS, assertCounter, isAlgorithmName, MAX_COUNTER, resolveOtp } from '../internal/options.js';
import { decodeSecret, encodeSecret, isWeakSecretLength, secretBytes, type Secret } from './secret.js';

/** Parameters of {@link buildOtpauthUri}. */
export interface OtpauthUriParams {
  /** @default 'totp' */
  type?: 'totp' | 'hotp' | undefined;
  /** Service name shown by the app; goes in the label prefix and the `issuer` parameter. No colon. */
  issuer?: string | undefined;
  /** The user's account name, e.g. an e-mail address. No colon. */
  account: string;
  /** Shared secret, bytes or base32. Any non-empty length (a legacy 10-byte secret is written as it is). */
  secret: Secret;
  /** @default 'SHA1' (most apps ignore other values) */
  algorithm?: Algorithm | undefined;
  /** @default 6 (most apps ignore other values) */
  digits?: number | undefined;
  /** TOTP only. @default 30 (most apps ignore other values) */
  period?: number | undefined;
  /** HOTP only, required: the initial counter, 0 to 2^64−1 (a `bigint` above 2^53−1). */
  counter?: number | bigint | undefined;
  /** Logo URL some apps show (FreeOTP); passed through. */
  image?: string | undefined;
}

/** What {@link parseOtpauthUri} returns: every field, defaults filled in. */
export interface OtpauthUri {
  type: 'totp' | 'hotp';
  /** The `issuer` parameter when present (it wins, as in Google Authenticator), else the label prefix. */
  issuer?: string;
  /** The label prefix, present only when it differs from the `issuer` parameter (e.g. `Slack (Workspace)` beside `issuer=Slack`). */
  labelIssuer?: string;
  /** The account name; `''` when the label has none. */
  account: string;
  /** Canonical base32: upper case, unpadded. */
  secret: string;
  /**
   * True when the secret is shorter than 16 bytes (RFC 4226 §4 R6 asks for
   * 128 bits; GitHub, Discord and Microsoft issue 10). Codes are computed with
   * it all the same; tell the host or the person that it is weak.
   */
  weakSecret: boolean;
  algorithm: Algorithm;
  digits: number;
  /** TOTP only. */
  period?: number;
  /** HOTP only: a number, or a `bigint` above 2^53−1. */
  counter?: number | bigint;
  image?: string;
}

const MAX_URI_CHARS = 8192;

/**
 * Builds an `otpauth://` URI in the Key URI Format, for a QR code or a link.
 * The label is `Issuer:account`, percent-encoded with `%20` for spaces (never
 * `+`); the `issuer` parameter repeats the issuer. `algorithm`, `digits` and
 * `period` are written only when they differ from the defaults.
 *
 * @param params - see {@link OtpauthUriParams}
 * @returns the URI
 * @throws {TypeError|RangeError} on a missing or empty account, a colon or surrounding whitespace in issuer or
 *   account, a lone surrogate, a bad option, or a HOTP URI without `counter`; {@link MfaError} `INVALID_SECRET`
 * @example
 * buildOtpauthUri({ issuer: 'ACME Co', account: 'jane@example.com', secret });
 * // 'otpauth://totp/ACME%20Co:jane%40example.com?secret=…&issuer=ACME%20Co'
 */
export function buildOtpauthUri(params: OtpauthUriParams): string {
  assertOptions(params, 'params');
  if (params === undefined) throw new TypeError('params must be an object, got undefined');
  const type = params.type ?? 'totp';
  if (type !== 'totp' && type !== 'hotp') throw new TypeError(`type must be 'totp' or 'hotp', got ${describe(type)}`);
  const { algorithm, digits } = resolveOtp(params, isAlgorithmName);
  assertLabelPart(params.account, 'account');
  if (params.issuer !== undefined) assertLabelPart(params.issuer, 'issuer');
  const secret = encodeSecret(secretBytes(params.secret));

  const account = enc(params.account, 'account');
  const issuer = params.issuer === undefined ? undefined : enc(params.issuer, 'issuer');
  const label = issuer === undefined ? account : `${issuer}:${account}`;
  let query = `secret=${secret}`;
  if (issuer !== undefined) query += `&issuer=${issuer}`;
  if (algorithm !== 'SHA1') query += `&algorithm=${algorithm}`;
  if (digits !== 6) query += `&digits=${digits}`;
  if (type === 'hotp') {
    if (params.counter === undefined) throw new TypeError('counter is required for a hotp URI');
    query += `&counter=${assertCounter(params.counter)}`;
  } else {
    if (params.counter !== undefined) throw new TypeError('counter is only for hotp URIs');
    const period = params.period ?? 30;
    assertInteger(period, 'period', 1, 0x7fffffff);
    if (period !== 30) query += `&period=${period}`;
  }
  if (params.image !== undefined) {
    assertString(params.image, 'image');
    query += `&image=${enc(params.image, 'image')}`;
  }
  return `otpauth://${type}/${label}?${query}`;
}

function assertLabelPart(value: unknown, name: string): asserts value is string {
  assertString(value, name);
  if (value.includes(':')) throw new RangeError(`${name} must not contain a colon (the label separator)`);
  // Parsers trim around the label colon (Key URI Format), so such whitespace would not survive a round trip.
  if (value.length === 0 || value.trim() !== value) {
    throw new RangeError(`${name} must be non-empty, without leading or trailing whitespace`);
  }
}

function enc(value: string, name: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    throw new RangeError(`${name} is not well-formed Unicode (it has a lone surrogate)`);
  }
}

/**
 * Parses an `otpauth://` URI leniently, as real services export them: any
 * case in the scheme, type, parameter names and values, `%3A` for the label
 * colon, spaces around it, `+` for a space, padded or lower-case secrets,
 * `SHA-256`-style algorithm names, unknown parameters (ignored), an empty
 * account. When the `issuer` parameter and the label prefix differ, the
 * parameter wins (as in Google Authenticator) and the prefix is returned as
 * `labelIssuer`; an issuer parameter that contains a colon is found whole at
 * the start of the label. A secret of any non-empty length is accepted and
 * `weakSecret` says whether it is under 16 bytes (RFC 4226 §4 R6).
 *
 * @param uri - the URI text
 * @returns the fields, with `secret` as canonical base32 and defaults filled in
 * @throws {MfaError} `INVALID_URI` with a reason naming the part at fault (no
 *   secret, bad base32, unknown type or algorithm, a number out of range); never
 *   another exception for a string input
 * @example
 * const p = parseOtpauthUri('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example');
 * p.account; // 'alice@google.com'
 * p.weakSecret; // true: 10 bytes
 */
export function parseOtpauthUri(uri: string): OtpauthUri {
  if (typeof uri !== 'string') throw new MfaError('INVALID_URI', `uri must be a string, got ${describe(uri)}`);
  if (uri.length > MAX_URI_CHARS) throw invalid(`longer than ${MAX_URI_CHARS} characters`);
  const text = uri.trim();
  if (/^otpauth-migration:/i.test(text)) {
    throw invalid('this is a Google Authenticator export (otpauth-migration://); read it with parseMigrationUri');
  }
  // The label may be missing altogether (`otpauth://totp?secret=…`, as some exports write it).
  const m = /^otpauth:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?(?:#.*)?$/is.exec(text);
  if (!m) throw invalid('not of the form otpauth://TYPE/LABEL?PARAMETERS');
  const type = (m[1] as string).toLowerCase();
  if (type !== 'totp' && type !== 'hotp') throw invalid(`type must be totp or hotp, got "${truncate(m[1] as string)}"`);

  const params = new Map<string, string>();
  for (const pair of (m[3] ?? '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq >= 0 ? pair.slice(0, eq) : pair, 'a parameter name').trim().toLowerCase();
    const value = decode(eq >= 0 ? pair.slice(eq + 1) : '', `the ${truncate(name)} parameter`);
    // The same value twice is harmless; two different secrets or issuers are not ours to choose between.
    if (params.has(name) && params.get(name) !== value) throw invalid(`the ${truncate(name)} parameter appears twice with different values`);
    params.set(name, value);
  }

  const secretText = params.get('secret');
  if (secretText === undefined || secretText.trim() === '') throw invalid('the secret parameter is missing');
  let bytes: Uint8Array;
  try {
    bytes = decodeSecret(secretText);
  } catch (e) {
    throw invalid(`the secret parameter is not base32: ${(e as Error).message}`);
  }
  const secret = encodeSecret(bytes);
  const weakSecret = isWeakSecretLength(bytes.length);
  bytes.fill(0);

  const issuerParam = params.get('issuer')?.trim() || undefined;
  const { labelIssuer, account } = splitLabel(decode(m[2] ?? '', 'the label'), issuerParam);
  const issuer = issuerParam ?? labelIssuer;

  const algorithmText = params.get('algorithm');
  const algorithm = algorithmText === undefined || algorithmText.trim() === '' ? 'SHA1' : algorithmFromName(algorithmText);
  if (algorithm === undefined) throw invalid(`the algorithm parameter must be one of ${ALGORITHMS.join(', ')}, got "${truncate(algorithmText as string)}"`);
  const digits = integerParam(params, 'digits', 6, 6, 10);
  const result: OtpauthUri = { type, account, secret, weakSecret, algorithm, digits };
  if (issuer) result.issuer = issuer;
  if (labelIssuer && issuer !== labelIssuer) result.labelIssuer = labelIssuer;
  if (type === 'totp') result.period = integerParam(params, 'period', 30, 1, 0x7fffffff);
  else result.counter = counterParam(params);
  const image = params.get('image');
  if (image !== undefined && image !== '') result.image = image;
  return result;
}

/**
 * Splits `Issuer:account`. An issuer parameter found whole at the start of the
 * label is the prefix even when it contains a colon (`https://git.example.com:jane`);
 * otherwise the first colon separates, as the Key URI Format says.
 */
function splitLabel(label: string, issuerParam: string | undefined): { labelIssuer: string | undefined; account: string } {
  let colon = -1;
  if (issuerParam !== undefined && issuerParam.includes(':')) {
    const start = label.trimStart();
    if (start.startsWith(issuerParam) && start.slice(issuerParam.length).trimStart().startsWith(':')) {
      colon = label.length - start.length + issuerParam.length + start.slice(issuerParam.length).indexOf(':');
    }
  }
  if (colon < 0) colon = label.indexOf(':');
  if (colon < 0) return { labelIssuer: undefined, account: label.trim() };
  return { labelIssuer: label.slice(0, colon).trim() || undefined, account: label.slice(colon + 1).trim() };
}

function integerParam(params: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = params.get(name)?.trim();
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]{1,16}$/.test(text)) throw invalid(`the ${name} parameter must be a whole number, got "${truncate(text)}"`);
  const n = Number(text);
  if (n < min || n > max) throw invalid(`the ${name} parameter must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The HOTP counter: a number up to 2^53−1, a bigint above it, up to 2^64−1 (RFC 4226 §5.1: an 8-byte counter). */
function counterParam(params: Map<string, string>): number | bigint {
  const text = params.get('counter')?.trim();
  if (text === undefined || text === '') throw invalid('a hotp URI needs a counter parameter');
  if (!/^[0-9]{1,20}$/.test(text)) throw invalid(`the counter parameter must be a whole number, got "${truncate(text)}"`);
  const n = BigInt(text);
  if (n > MAX_COUNTER) throw invalid('the counter parameter must be at most 2^64−1');
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function decode(text: string, what: string): string {
  try {
    // '+' is a space in query strings (HTML forms) and in the labels some services write.
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalid(`${what} is not valid percent-encoding`);
  }
}

const truncate = (s: string): string => (s.length > 32 ? `${s.slice(0, 32)}…` : s);
const invalid = (reason: string): MfaError => new MfaError('INVALID_URI', `invalid otpauth URI: ${reason}`);
