/**
 * Compares two byte arrays in time that depends only on their lengths:
 * XOR-accumulate over every byte, no early exit. A JIT compiler promises
 * nothing about timing; see docs/security.md.
 *
 * @param a - first array
 * @param b - second array
 * @returns true when both have the same length and the same bytes
 * @example
 * constantTimeEqual(new Uint8Array([1]), new Uint8Array([1])); // true
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) {
    throw new TypeError('constantTimeEqual expects two Uint8Arrays');
  }
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
