import { assertFinite, assertInteger, assertOptions, describe } from './assert.js';
import { algorithmError, canCompute, type Algorithm } from './hmac.js';

/** Options shared by HOTP and TOTP. */
export interface OtpOptions {
  /** HMAC hash (RFC 6238 §1.2). @default 'SHA1' */
  algorithm?: Algorithm | undefined;
  /** Code length, 6–10 (RFC 4226 §5.3 requires at least 6). @default 6 */
  digits?: number | undefined;
}

/** Options shared by {@link generateTotp}, {@link verifyTotp} and {@link timeStep}. */
export interface TimeStepOptions {
  /** Time step in seconds, X in RFC 6238 §4.1. @default 30 */
  period?: number | undefined;
  /** Unix time in seconds at which step 0 begins, T0 in RFC 6238 §4.1. @default 0 */
  t0?: number | undefined;
}

export interface ResolvedOtp {
  algorithm: Algorithm;
  digits: number;
}

export const ALGORITHMS: readonly Algorithm[] = ['SHA1', 'SHA256', 'SHA512', 'SHA224', 'SHA384', 'SHA3-256', 'SHA3-512'];

/**
 * Reads an algorithm name as URIs and people spell it: any case, with or
 * without a dash or underscore (`sha-256`, `SHA_1`, `sha3-512`).
 * @returns the canonical name, or `undefined` when it names no algorithm we compute
 */
export function algorithmFromName(text: string): Algorithm | undefined {
  const squeezed = text.trim().toUpperCase().replace(/[-_ ]/g, '');
  return ALGORITHMS.find((a) => a.replace('-', '') === squeezed);
}
export const MAX_WINDOW = 10;

/** True when `algorithm` is one of the seven names, whether or not it can be computed with yet. */
export const isAlgorithmName = (algorithm: unknown): algorithm is Algorithm => ALGORITHMS.includes(algorithm as Algorithm);

/**
 * Checks `algorithm` and `digits`. By default the algorithm must be one codes
 * can be computed with (an extra one registered), so the mistake shows where
 * the options are given; building a URI only writes the name and passes
 * {@link isAlgorithmName}.
 */
export function resolveOtp(opts: OtpOptions | undefined, known: (algorithm: unknown) => boolean = canCompute): ResolvedOtp {
  assertOptions(opts);
  const algorithm = opts?.algorithm ?? 'SHA1';
  if (!known(algorithm)) throw algorithmError(algorithm);
  const digits = opts?.digits ?? 6;
  assertInteger(digits, 'digits', 6, 10);
  return { algorithm, digits };
}

export function resolveTimeStep(opts: TimeStepOptions | undefined): { period: number; t0: number } {
  assertOptions(opts);
  const period = opts?.period ?? 30;
  assertInteger(period, 'period', 1, 0x7fffffff);
  const t0 = opts?.t0 ?? 0;
  assertInteger(t0, 't0', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  return { period, t0 };
}

export function resolveNow(now: unknown): number {
  // null means "not given", as for every other option read with `??`.
  if (now === undefined || now === null) return Date.now();
  assertFinite(now, 'now');
  return now;
}

/** A window as `{ past, future }` steps, each 0–10. */
export function resolveWindow(window: unknown, name: string, fallback: number): { past: number; future: number } {
  if (window === undefined || window === null) return { past: fallback, future: fallback };
  if (typeof window === 'number') {
    assertInteger(window, name, 0, MAX_WINDOW);
    return { past: window, future: window };
  }
  if (typeof window === 'object' && window !== null) {
    const { past = fallback, future = fallback } = window as { past?: unknown; future?: unknown };
    assertInteger(past, `${name}.past`, 0, MAX_WINDOW);
    assertInteger(future, `${name}.future`, 0, MAX_WINDOW);
    return { past, future };
  }
  throw new TypeError(`${name} must be a number or { past, future }, got ${describe(window)}`);
}

/** 2^64−1: RFC 4226 §5.1 makes the counter an 8-byte value. */
export const MAX_COUNTER = 0xffffffffffffffffn;

/**
 * Checks an HOTP counter: an integer number 0 to 2^53−1, or a `bigint` 0 to
 * 2^64−1, and returns it unchanged.
 */
export function assertCounter<C extends number | bigint>(counter: C, name = 'counter'): C {
  if (typeof counter === 'bigint') {
    if (counter < 0n || counter > MAX_COUNTER) throw new RangeError(`${name} must be between 0 and 2^64−1, got ${counter}`);
    return counter;
  }
  if (typeof counter === 'number' && Number.isInteger(counter) && counter > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${name} must be between 0 and ${Number.MAX_SAFE_INTEGER} as a number (pass a bigint for larger counters), got ${counter}`);
  }
  assertInteger(counter, name, 0, Number.MAX_SAFE_INTEGER);
  return counter;
}
