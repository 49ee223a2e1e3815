/** Powers of ten for 6–10 digit codes. */
export const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10] as const;

// Longest token worth reading: digits plus generous spacing. Longer input is malformed at once.
const MAX_TOKEN_CHARS = 64;

/**
 * Reads what an end user typed as a `digits`-long code. Spaces (and other
 * whitespace) are removed; anything else that is not an ASCII digit, or a
 * different number of digits, makes it malformed. Never throws.
 *
 * @returns the code as a number, or -1 when malformed
 */
export function parseToken(token: unknown, digits: number): number {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return -1;
  let value = 0;
  let count = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      count++;
    } else if (!isSpace(c)) {
      return -1;
    }
  }
  return count === digits ? value : -1;
}

/**
 * How many ASCII digits `token` holds when it is digits and whitespace only
 * (as {@link parseToken} reads it), else -1. Never throws.
 */
export function countDigits(token: unknown): number {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return -1;
  let count = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) count++;
    else if (!isSpace(c)) return -1;
  }
  return count;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xa0 || c === 0x2009 || c === 0x202f;

/**
 * Constant-time difference of two codes below 10^10: the halves split at 10^5
 * keep every XOR within 32 bits. Zero when equal.
 */
export function codeDiff(a: number, b: number): number {
  return ((a / 1e5) ^ (b / 1e5)) | ((a % 1e5) ^ (b % 1e5));
}

/** A code as a zero-padded string of `digits` characters. */
export function formatCode(code: number, digits: number): string {
  return code.toString().padStart(digits, '0');
}
