import base32Decode from 'base32-decode';
import base32Encode from 'base32-encode';
import { MfaError } from '../errors.js';
import { assertInteger, assertOptions, describe } from '../internal/assert.js';
import { fillRandom, type RandomSource } from '../internal/random.js';

/**
 * Shortest secret {@link generateSecret} makes (RFC 4226 §4 R6: 128 bits);
 * shorter secrets met in the wild are computed with and flagged as weak.
 */
export const MIN_SECRET_BYTES = 16;
/** Longest base32 text accepted, so hostile input cannot make decoding expensive. */
const MAX_SECRET_CHARS = 4096;

/** A shared secret: raw bytes, or base32 text as {@link decodeSecret} accepts it. */
export type Secret = Uint8Array | string;

/** Options of {@link generateSecret}. */
export interface GenerateSecretOptions {
  /** Secret length in bytes. @default 20 (160 bits, the HMAC-SHA-1 output size; RFC 4226 §4 R6) */
  bytes?: number;
  /** Fills a buffer with random bytes. @default crypto.getRandomValues */
  random?: RandomSource;
}

/**
 * Generates a random shared secret with the platform CSPRNG.
 *
 * @param opts - `bytes` (16–1024, default 20; never under 16, RFC 4226 §4 R6) and an injectable `random`
 * @returns the secret as unpadded upper-case base32 (RFC 4648), as authenticator apps expect
 * @throws {RangeError} when `bytes` is outside 16–1024
 * @example
 * const secret = generateSecret(); // 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
 */
export function generateSecret(opts: GenerateSecretOptions = {}): string {
  assertOptions(opts);
  const bytes = opts.bytes ?? 20;
  assertInteger(bytes, 'bytes', MIN_SECRET_BYTES, 1024);
  const buf = new Uint8Array(bytes);
  fillRandom(buf, opts.random);
  const text = encodeSecret(buf);
  buf.fill(0);
  return text;
}

/**
 * Encodes secret bytes as unpadded upper-case base32 (RFC 4648 §6).
 *
 * @param bytes - the raw secret
 * @returns base32 text without `=` padding
 * @throws {TypeError} when `bytes` is not a Uint8Array
 * @example
 * encodeSecret(new TextEncoder().encode('12345678901234567890')); // 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
 */
export function encodeSecret(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes must be a Uint8Array, got ${describe(bytes)}`);
  return base32Encode(bytes, 'RFC4648', { padding: false });
}

/**
 * The manual-entry form of a base32 secret: groups of four characters
 * separated by spaces, as authenticator apps print them ("JBSW Y3DP EHPK 3PXP"),
 * so people can type it without losing their place. {@link decodeSecret} and
 * every authenticator app read it back with the spaces.
 *
 * @param secret - base32 text, as `beginEnrollment` or {@link generateSecret} returns it
 * @returns the same characters, upper case, in groups of four
 * @throws {TypeError} when `secret` is not a string
 * @example
 * formatSecret('JBSWY3DPEHPK3PXP'); // 'JBSW Y3DP EHPK 3PXP'
 */
export function formatSecret(secret: string): string {
  if (typeof secret !== 'string') throw new TypeError(`secret must be a string, got ${describe(secret)}`);
  return (secret.replace(/[\s=-]+/g, '').toUpperCase().match(/.{1,4}/g) ?? []).join(' ');
}

/**
 * Decodes base32 secret text leniently: spaces, dashes, lower case and missing
 * or extra trailing `=` are accepted, as people type and apps export them. The
 * text is normalised here, then decoded by `base32-decode` (RFC 4648 §6).
 *
 * @param text - base32 text
 * @returns the secret bytes (any non-empty length: see {@link generateSecret} for what we make)
 * @throws {MfaError} `INVALID_SECRET` naming the first character outside the
 *   base32 alphabet and its 1-based position, or when the text is empty, too
 *   long or of an impossible length
 * @throws {TypeError} when `text` is not a string
 * @example
 * decodeSecret('jbsw y3dp-ehpk 3pxp'); // Uint8Array(10)
 */
export function decodeSecret(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`secret text must be a string, got ${describe(text)}`);
  return new Uint8Array(base32Decode(normalizeBase32(text), 'RFC4648'));
}

/**
 * Upper-case, unpadded base32 with separators removed, validated character by
 * character, so that `base32-decode` only ever sees its own alphabet and every
 * mistake is reported with its place.
 */
function normalizeBase32(text: string): string {
  if (text.length > MAX_SECRET_CHARS) {
    throw new MfaError('INVALID_SECRET', `secret is too long (over ${MAX_SECRET_CHARS} characters)`);
  }
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x3d || isIgnorable(text.charCodeAt(end - 1)))) end--; // trailing '=' and spaces
  let out = '';
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isIgnorable(c)) continue;
    const upper = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
    if (!isAlphabet(upper)) {
      throw new MfaError('INVALID_SECRET', `secret contains ${nameChar(text, i)} at position ${i + 1}, which is not base32 (A–Z, 2–7)`);
    }
    out += String.fromCharCode(upper);
  }
  if (out.length === 0) throw new MfaError('INVALID_SECRET', 'secret is empty');
  const rem = out.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) {
    throw new MfaError('INVALID_SECRET', `secret has ${out.length} base32 characters, which is not a whole number of bytes`);
  }
  return out;
}

const isAlphabet = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x32 && c <= 0x37);
// Space, tab, CR, LF, NBSP and '-' appear in secrets that people copy or type in groups.
const isIgnorable = (c: number): boolean => c === 0x20 || c === 0x2d || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xa0;

function nameChar(text: string, i: number): string {
  const cp = text.codePointAt(i) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp >= 0x21 && cp <= 0x7e ? `'${String.fromCodePoint(cp)}' (${hex})` : hex;
}

/** True when a secret of `length` bytes is under the 128 bits of RFC 4226 §4 R6: computed with, but flagged. */
export const isWeakSecretLength = (length: number): boolean => length < MIN_SECRET_BYTES;

/**
 * Resolves a {@link Secret} argument to bytes. Any non-empty secret is
 * accepted: secrets met in the wild are computed with (10-byte ones included);
 * only {@link generateSecret} enforces a minimum.
 * @internal
 */
export function secretBytes(secret: Secret): Uint8Array {
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = decodeSecret(secret);
  else if (secret instanceof Uint8Array) bytes = secret;
  else throw new TypeError(`secret must be a Uint8Array or a base32 string, got ${describe(secret)}`);
  if (bytes.length === 0) throw new MfaError('INVALID_SECRET', 'secret is empty');
  return bytes;
}
