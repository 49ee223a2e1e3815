import { MfaError } from '../errors.js';
import { assertInteger, assertOptions, assertString, describe } from '../internal/assert.js';
import type { Algorithm } from '../internal/hmac.js';
import { resolveOtp } from '../internal/options.js';
import { decodeSecret, encodeSecret, secretBytes, type Secret } from './secret.js';

/** Parameters of {@link buildOtpauthUri}. */
export interface OtpauthUriParams {
  /** @default 'totp' */
  type?: 'totp' | 'hotp';
  /** Service name shown by the app; goes in the label prefix and the `issuer` parameter. No colon. */
  issuer?: string;
  /** The user's account name, e.g. an e-mail address. No colon. */
  account: string;
  /** Shared secret, bytes or base32. */
  secret: Secret;
  /** @default 'SHA1' (most apps ignore other values) */
  algorithm?: Algorithm;
  /** @default 6 (most apps ignore other values) */
  digits?: number;
  /** TOTP only. @default 30 (most apps ignore other values) */
  period?: number;
  /** HOTP only, required: the initial counter. */
  counter?: number;
  /** Logo URL some apps show (FreeOTP); passed through. */
  image?: string;
  /** Accept a secret shorter than 16 bytes. @default false */
  allowShortSecret?: boolean;
}

/** What {@link parseOtpauthUri} returns: every field, defaults filled in. */
export interface OtpauthUri {
  type: 'totp' | 'hotp';
  issuer?: string;
  account: string;
  /** Canonical base32: upper case, unpadded. */
  secret: string;
  algorithm: Algorithm;
  digits: number;
  /** TOTP only. */
  period?: number;
  /** HOTP only. */
  counter?: number;
  image?: string;
}

/** Options of {@link parseOtpauthUri}. */
export interface ParseOtpauthUriOptions {
  /** Accept a secret shorter than 16 bytes (legacy 80-bit secrets). @default false */
  allowShortSecret?: boolean;
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
  const { algorithm, digits, allowShortSecret } = resolveOtp(params);
  assertLabelPart(params.account, 'account');
  if (params.issuer !== undefined) assertLabelPart(params.issuer, 'issuer');
  const secret = encodeSecret(secretBytes(params.secret, allowShortSecret));

  const account = enc(params.account, 'account');
  const issuer = params.issuer === undefined ? undefined : enc(params.issuer, 'issuer');
  const label = issuer === undefined ? account : `${issuer}:${account}`;
  let query = `secret=${secret}`;
  if (issuer !== undefined) query += `&issuer=${issuer}`;
  if (algorithm !== 'SHA1') query += `&algorithm=${algorithm}`;
  if (digits !== 6) query += `&digits=${digits}`;
  if (type === 'hotp') {
    if (params.counter === undefined) throw new TypeError('counter is required for a hotp URI');
    assertInteger(params.counter, 'counter', 0, Number.MAX_SAFE_INTEGER);
    query += `&counter=${params.counter}`;
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
 * Parses an `otpauth://` URI. Tolerates what real generators emit: any case in
 * the scheme, type and parameter names, `%3A` for the label colon, spaces
 * after the colon, `+` for a space in parameter values, and padded or
 * lower-case secrets. When the label prefix and the `issuer` parameter are
 * both present they must agree.
 *
 * @param uri - the URI text
 * @param opts - `allowShortSecret`
 * @returns the fields, with `secret` as canonical base32 and defaults filled in
 * @throws {MfaError} `INVALID_URI` with the reason in `message`; never another exception for a string input
 * @example
 * parseOtpauthUri('otpauth://totp/ACME:jane?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=ACME').account; // 'jane'
 */
export function parseOtpauthUri(uri: string, opts?: ParseOtpauthUriOptions): OtpauthUri {
  assertOptions(opts);
  if (typeof uri !== 'string') throw new MfaError('INVALID_URI', `uri must be a string, got ${describe(uri)}`);
  if (uri.length > MAX_URI_CHARS) throw invalid(`longer than ${MAX_URI_CHARS} characters`);
  const m = /^otpauth:\/\/([^/?#]*)\/([^?#]*)(?:\?([^#]*))?(?:#.*)?$/is.exec(uri.trim());
  if (!m) throw invalid('not of the form otpauth://TYPE/LABEL?PARAMETERS');
  const type = (m[1] as string).toLowerCase();
  if (type !== 'totp' && type !== 'hotp') throw invalid(`type must be totp or hotp, got "${truncate(m[1] as string)}"`);

  const label = decode(m[2] as string, 'label', false);
  const colon = label.indexOf(':');
  const labelIssuer = colon >= 0 ? label.slice(0, colon).trim() : undefined;
  const account = (colon >= 0 ? label.slice(colon + 1) : label).trim();
  if (account.length === 0) throw invalid('the label has no account name');

  const params = new Map<string, string>();
  for (const pair of (m[3] ?? '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq >= 0 ? pair.slice(0, eq) : pair, 'parameter name', true).toLowerCase();
    if (params.has(name)) throw invalid(`parameter "${truncate(name)}" appears twice`);
    params.set(name, decode(eq >= 0 ? pair.slice(eq + 1) : '', name, true));
  }

  const secretText = params.get('secret');
  if (secretText === undefined || secretText === '') throw invalid('the secret parameter is missing');
  let secret: string;
  try {
    secret = encodeSecret(secretBytes(decodeSecret(secretText), opts?.allowShortSecret ?? false));
  } catch (e) {
    throw invalid(`secret: ${(e as Error).message}`);
  }

  const issuerParam = params.get('issuer')?.trim() || undefined;
  if (issuerParam !== undefined && labelIssuer && issuerParam !== labelIssuer) {
    throw invalid('the issuer parameter does not match the label prefix');
  }
  const issuer = issuerParam ?? labelIssuer;

  const algorithm = (params.get('algorithm') ?? 'SHA1').toUpperCase();
  if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') {
    throw invalid('algorithm must be SHA1, SHA256 or SHA512');
  }
  const digits = integerParam(params, 'digits', 6, 6, 10);
  const result: OtpauthUri = { type, account, secret, algorithm, digits };
  if (issuer) result.issuer = issuer;
  if (type === 'totp') result.period = integerParam(params, 'period', 30, 1, 0x7fffffff);
  else {
    if (!params.has('counter')) throw invalid('a hotp URI needs a counter parameter');
    result.counter = integerParam(params, 'counter', 0, 0, Number.MAX_SAFE_INTEGER);
  }
  const image = params.get('image');
  if (image !== undefined) result.image = image;
  return result;
}

function integerParam(params: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = params.get(name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,16}$/.test(text)) throw invalid(`${name} must be a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw invalid(`${name} must be between ${min} and ${max}`);
  return n;
}

function decode(text: string, what: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    throw invalid(`${what} is not valid percent-encoding`);
  }
}

const truncate = (s: string): string => (s.length > 32 ? `${s.slice(0, 32)}…` : s);
const invalid = (reason: string): MfaError => new MfaError('INVALID_URI', `invalid otpauth URI: ${reason}`);
