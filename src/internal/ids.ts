// Checks of the strings that reach a store, shared by the flows and defineStore(),
// so every store refuses exactly the same values (TypeError naming the parameter).
import { describe } from './assert.js';

/** Longest user id, purpose or destination, in UTF-8 bytes: fits an index in every database. */
export const MAX_NAME_BYTES = 255;
/** Longest factor label, in UTF-16 code units. */
export const MAX_LABEL = 64;

const FACTOR_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/**
 * UTF-8 length of `text`, or -1 when it is not well-formed (a lone surrogate,
 * which drivers silently turn into U+FFFD so two ids would collide) or holds
 * U+0000 (which PostgreSQL text refuses). Linear, no allocation.
 */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return -1;
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}

/**
 * A user id, purpose or destination: a non-empty, well-formed Unicode string
 * without U+0000, at most {@link MAX_NAME_BYTES} bytes of UTF-8.
 * @throws {TypeError} naming `name`, without echoing the value
 */
export function assertName(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${name} must be a non-empty string, got ${describe(value)}`);
  const bytes = value.length > MAX_NAME_BYTES ? -2 : utf8Length(value);
  if (bytes === -1) throw new TypeError(`${name} must be well-formed Unicode without U+0000 (a lone surrogate or a NUL character was found)`);
  if (bytes === -2 || bytes > MAX_NAME_BYTES) throw new TypeError(`${name} must be at most ${MAX_NAME_BYTES} bytes of UTF-8`);
}

/** The user id every flow and store method takes. */
export function assertUserId(value: unknown): asserts value is string {
  assertName(value, 'userId');
}

/** A factor label: 1–64 characters, well-formed, no control characters. */
export function assertLabel(value: unknown, name = 'label'): asserts value is string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_LABEL) {
    throw new TypeError(`${name} must be a non-blank string of at most ${MAX_LABEL} characters, got ${typeof value === 'string' ? `${value.length} characters` : describe(value)}`);
  }
  if (utf8Length(value) < 0 || /[\u0000-\u001f\u007f]/.test(value)) throw new TypeError(`${name} must be well-formed Unicode without control characters`);
}

export function assertFactorId(value: unknown, name = 'factorId'): asserts value is string {
  if (typeof value !== 'string' || !FACTOR_ID.test(value)) throw new TypeError(`${name} must be 1–64 characters of A–Z a–z 0–9 _ -, got ${describe(value)}`);
}

/** A digest or digest-derived id: 64 lower-case hex characters. */
export function assertDigest(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || !DIGEST.test(value)) throw new TypeError(`${name} must be 64 lower-case hex characters, got ${describe(value)}`);
}

/** A time in ms since the epoch: a safe, non-negative integer (what every database column holds exactly). */
export function assertTime(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative safe integer (ms since the epoch), got ${describe(value)}`);
  }
}
