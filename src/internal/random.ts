import { describe } from './assert.js';

/** Fills `bytes` with cryptographically secure random values, in place. */
export type RandomSource = (bytes: Uint8Array) => void;

/** Fills `buf` from `random` or from `crypto.getRandomValues`, in chunks of its 65,536-byte limit. */
export function fillRandom(buf: Uint8Array, random?: RandomSource): void {
  if (random !== undefined) {
    if (typeof random !== 'function') throw new TypeError(`random must be a function, got ${describe(random)}`);
    random(buf);
    return;
  }
  for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
}

/** Uniform random characters from `alphabet`, by rejection sampling (no modulo bias). */
export function randomString(length: number, alphabet: string, random?: RandomSource): string {
  const mask = (1 << Math.ceil(Math.log2(alphabet.length))) - 1;
  let out = '';
  const buf = new Uint8Array(length * 2);
  while (out.length < length) {
    fillRandom(buf, random);
    for (let i = 0; i < buf.length && out.length < length; i++) {
      const v = (buf[i] as number) & mask;
      if (v < alphabet.length) out += alphabet[v];
    }
  }
  buf.fill(0);
  return out;
}
