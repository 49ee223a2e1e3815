import base32Encode from 'base32-encode';
import { MfaError } from '../errors.js';
import { assertInteger, assertOptions, describe } from '../internal/assert.js';
import { fillRandom, type RandomSource } from '../internal/random.js';

/** Shortest secret accepted without `allowShortSecret` (RFC 4226 §4, R6: 128 bits). */
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
 * @param opts - `bytes` (16–1024, default 20) and an injectable `random`
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
 * Decodes base32 secret text leniently: spaces, dashes, lower case and missing
 * or extra trailing `=` are accepted, as people type and apps export them.
 *
 * @param text - base32 text
 * @returns the secret bytes
 * @throws {MfaError} `INVALID_SECRET` naming the first character outside the
 *   base32 alphabet, or when the text is empty, too long or of an impossible length
 * @throws {TypeError} when `text` is not a string
 * @example
 * decodeSecret('jbsw y3dp-ehpk 3pxp'); // Uint8Array(10)
 */
export function decodeSecret(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`secret text must be a string, got ${describe(text)}`);
  return decodeCanonical(canonicalBase32(text)) as Uint8Array;
}

/** Upper-case, unpadded base32 with separators removed, validated character by character. */
function canonicalBase32(text: string): string {
  if (text.length > MAX_SECRET_CHARS) {
    throw new MfaError('INVALID_SECRET', `secret is too long (over ${MAX_SECRET_CHARS} characters)`);
  }
  let out = isCanonical(text) ? text : '';
  if (out === '') {
    let end = text.length;
    while (end > 0 && isIgnorable(text.charCodeAt(end - 1))) end--;
    while (end > 0 && (text.charCodeAt(end - 1) === 0x3d || isIgnorable(text.charCodeAt(end - 1)))) end--; // trailing '='
    for (let i = 0; i < end; i++) {
      const c = text.charCodeAt(i);
      if (isIgnorable(c)) continue;
      const upper = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
      if (!isAlphabet(upper)) {
        throw new MfaError('INVALID_SECRET', `secret contains ${nameChar(text, i)} at position ${i}, which is not base32 (A–Z, 2–7)`);
      }
      out += String.fromCharCode(upper);
    }
  }
  if (out.length === 0) throw new MfaError('INVALID_SECRET', 'secret is empty');
  const rem = out.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) {
    throw new MfaError('INVALID_SECRET', `secret has ${out.length} base32 characters, which is not a whole number of bytes`);
  }
  return out;
}

/**
 * The bytes of `text` when it is already canonical base32 (A–Z, 2–7, a whole
 * number of bytes), else `undefined` for {@link canonicalBase32} to clean up or
 * reject. It replaces base32-decode: that package's per-call regex,
 * per-character `indexOf` and ArrayBuffer copy cost about as much as the HMACs
 * of a verify, and as a CommonJS module it stayed in every browser bundle
 * (docs/performance.md).
 */
function decodeCanonical(text: string): Uint8Array | undefined {
  const length = text.length;
  const rem = length & 7;
  if (length === 0 || length > MAX_SECRET_CHARS || rem === 1 || rem === 3 || rem === 6) return undefined;
  const out = new Uint8Array((length * 5) >>> 3);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    // RFC 4648 §6: 'A'–'Z' are 0–25, '2'–'7' are 26–31.
    let v: number;
    if (c >= 0x41 && c <= 0x5a) v = c - 0x41;
    else if (c >= 0x32 && c <= 0x37) v = c - 0x18;
    else {
      out.fill(0);
      return undefined;
    }
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = acc >>> bits;
    }
  }
  return out;
}

function isCanonical(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isAlphabet(text.charCodeAt(i))) return false;
  return true;
}

const isAlphabet = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x32 && c <= 0x37);
// Space, tab, CR, LF, NBSP and '-' appear in secrets that people copy or type in groups.
const isIgnorable = (c: number): boolean => c === 0x20 || c === 0x2d || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xa0;

function nameChar(text: string, i: number): string {
  const cp = text.codePointAt(i) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp >= 0x21 && cp <= 0x7e ? `'${String.fromCodePoint(cp)}' (${hex})` : hex;
}

/**
 * Resolves a {@link Secret} argument to bytes and enforces the minimum length.
 * @internal
 */
export function secretBytes(secret: Secret, allowShortSecret = false): Uint8Array {
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = decodeCanonical(secret) ?? (decodeCanonical(canonicalBase32(secret)) as Uint8Array);
  else if (secret instanceof Uint8Array) bytes = secret;
  else throw new TypeError(`secret must be a Uint8Array or a base32 string, got ${describe(secret)}`);
  if (bytes.length === 0) throw new MfaError('INVALID_SECRET', 'secret is empty');
  if (bytes.length < MIN_SECRET_BYTES && !allowShortSecret) {
    throw new MfaError(
      'INVALID_SECRET',
      `secret is ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} are required (RFC 4226 §4 R6), pass allowShortSecret: true for legacy secrets`,
    );
  }
  return bytes;
}
