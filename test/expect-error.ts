import { expect } from 'vitest';
import { isMfaError, type MfaError, type MfaErrorCode } from '../src/index.js';

/** Expects `fn` to throw `MfaError(code)` and returns its message. */
export function mfaErrorMessage(code: MfaErrorCode, fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isMfaError(e, code), String(e)).toBe(true);
    return (e as MfaError).message;
  }
  throw new Error(`expected ${code}`);
}
