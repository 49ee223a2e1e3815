import { describe } from './assert.js';
import { SHA1_IV, SHA1_W, sha1Compress } from './sha1.js';
import { SHA256_IV, SHA256_W, sha256Compress, SHA512_IV, SHA512_W, sha512Compress } from './sha2.js';

/** HMAC hash functions with built-in kernels: those of RFC 6238 §1.2. */
export type FastAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/**
 * Hash functions computed through @noble/hashes once registered from
 * `mfakit/algorithms` (see {@link registerAlgorithms}): what otpauth offers;
 * authenticator apps rarely do.
 */
export type ExtraAlgorithm = 'SHA224' | 'SHA384' | 'SHA3-256' | 'SHA3-512';

/** Every HMAC hash mfakit knows by name. */
export type Algorithm = FastAlgorithm | ExtraAlgorithm;

/**
 * An extra hash function, as `mfakit/algorithms` exports it; pass it to
 * {@link registerAlgorithms}. Its shape is not a public protocol.
 */
export interface OtpAlgorithm {
  readonly name: ExtraAlgorithm;
  /** @internal Keys an HMAC once, as {@link createOtpMac} does for the built-in kernels. */
  readonly createMac: (key: Uint8Array) => OtpMac;
}

/**
 * Computes the RFC 4226 §5.3 dynamic truncation of HMAC(key, counter) for
 * many counters under one key: the HMAC key schedule runs once, not per counter.
 * Returns the 31-bit `Snum` before the modulo.
 */
export interface OtpMac {
  /** For a counter 0 to 2^53−1. */
  truncate(counter: number): number;
  /** For a counter 0 to 2^64−1 given as its high and low 32-bit words (RFC 4226 §5.1: 8 bytes, big-endian). */
  truncateWords(high: number, low: number): number;
  /** Zeroes the keyed state and the scratch buffers. */
  destroy(): void;
}

/** One hash function as the HMAC below needs it. */
interface Kernel {
  /** Block schedule: the caller writes the block into the first `blockWords` words. */
  w: Int32Array;
  /** Words in a block: 16 (64 bytes) or 32 (128 bytes). */
  blockWords: number;
  /** Words in the state, which is also the digest: 5, 8 or 16. */
  stateWords: number;
  /** Initial hash value H(0) (FIPS 180-4 §5.3). */
  iv: Int32Array;
  /** Compresses the block in `w` into the state at `src[si…]`, writing the result to `dst[di…]`. */
  compress(src: Int32Array, si: number, dst: Int32Array, di: number): void;
}

const KERNELS: Record<FastAlgorithm, Kernel> = {
  SHA1: { w: SHA1_W, blockWords: 16, stateWords: 5, iv: SHA1_IV, compress: sha1Compress },
  SHA256: { w: SHA256_W, blockWords: 16, stateWords: 8, iv: SHA256_IV, compress: sha256Compress },
  SHA512: { w: SHA512_W, blockWords: 32, stateWords: 16, iv: SHA512_IV, compress: sha512Compress },
};

const IPAD = 0x36363636;
const OPAD = 0x5c5c5c5c;

// One HMAC at a time runs to completion (JavaScript is single-threaded and
// nothing here yields), so one scratch state serves every instance; it holds
// key-derived words between calls only until destroy() zeroes it.
const SCRATCH = /* @__PURE__ */ new Int32Array(16);

class KeyedMac implements OtpMac {
  private readonly k: Kernel;
  /** H(K ⊕ ipad) followed by H(K ⊕ opad): the HMAC key schedule, computed once (RFC 2104 §2). */
  private readonly keyed: Int32Array;

  constructor(k: Kernel, key: Uint8Array) {
    const n = k.stateWords;
    const w = k.w;
    this.k = k;
    this.keyed = new Int32Array(2 * n);
    if (key.length > k.blockWords * 4) {
      // RFC 2104 §2: a key longer than a block is replaced by its hash, which then fits.
      const hashed = hashLong(k, key);
      for (let i = 0; i < k.blockWords; i++) w[i] = (i < n ? hashed[i]! : 0) ^ IPAD;
      hashed.fill(0);
    } else {
      loadKeyBlock(w, k.blockWords, key);
    }
    k.compress(k.iv, 0, this.keyed, 0);
    for (let i = 0; i < k.blockWords; i++) w[i] = w[i]! ^ (IPAD ^ OPAD);
    k.compress(k.iv, 0, this.keyed, n);
    w.fill(0);
  }

  truncate(counter: number): number {
    // Exact up to 2^53-1: the high word is the quotient by 2^32, never a 32-bit shift of the whole.
    return this.truncateWords(Math.floor(counter / 0x100000000), counter | 0);
  }

  truncateWords(high: number, low: number): number {
    const k = this.k;
    const w = k.w;
    const n = k.stateWords;
    const bw = k.blockWords;
    const s = SCRATCH;
    // Inner block: the 8-byte big-endian counter, the 0x80 pad byte, zeros, and the bit
    // length of ipad block + counter.
    w[0] = high;
    w[1] = low;
    w[2] = 0x80000000 | 0;
    for (let i = 3; i < bw - 1; i++) w[i] = 0;
    w[bw - 1] = (bw * 4 + 8) * 8;
    k.compress(this.keyed, 0, s, 0);
    // Outer block: the inner digest, 0x80, zeros, and the bit length of opad block + digest.
    for (let i = 0; i < n; i++) w[i] = s[i]!;
    w[n] = 0x80000000 | 0;
    for (let i = n + 1; i < bw - 1; i++) w[i] = 0;
    w[bw - 1] = (bw * 4 + n * 4) * 8;
    k.compress(this.keyed, n, s, 0);
    // RFC 4226 §5.3 on the big-endian digest words: the offset is the low nibble of the last byte.
    const offset = s[n - 1]! & 0x0f;
    const at = offset >> 2;
    const shift = (offset & 3) << 3;
    const word = shift === 0 ? s[at]! : (s[at]! << shift) | (s[at + 1]! >>> (32 - shift));
    return word & 0x7fffffff;
  }

  destroy(): void {
    this.keyed.fill(0);
    this.k.w.fill(0);
    SCRATCH.fill(0);
  }
}

/** Writes the key, big-endian and zero-padded to a block, XOR ipad into `w[0..words-1]`. */
function loadKeyBlock(w: Int32Array, words: number, key: Uint8Array): void {
  const full = key.length >> 2;
  let i = 0;
  for (; i < full; i++) {
    const j = i << 2;
    w[i] = ((key[j]! << 24) | (key[j + 1]! << 16) | (key[j + 2]! << 8) | key[j + 3]!) ^ IPAD;
  }
  if (i < words) {
    let tail = 0;
    for (let j = full << 2; j < key.length; j++) tail |= key[j]! << (24 - ((j & 3) << 3));
    w[i++] = tail ^ IPAD;
  }
  for (; i < words; i++) w[i] = IPAD;
}

/**
 * The plain hash of `data` (FIPS 180-4 §5.1 padding) as state words, for the
 * rare key longer than a block. Bytes are read one at a time: speed does not
 * matter here, and the same compressions as the hot path keep the bundle small.
 */
function hashLong(k: Kernel, data: Uint8Array): Int32Array {
  const w = k.w;
  const bw = k.blockWords;
  const blockBytes = bw * 4;
  const length = data.length;
  // Room for the 0x80 byte and the 64-bit (SHA-1, SHA-256) or 128-bit (SHA-512) bit length.
  const end = Math.ceil((length + 1 + bw / 2) / blockBytes) * blockBytes;
  const state = k.iv.slice();
  for (let at = 0; at < end; at += blockBytes) {
    for (let i = 0; i < bw; i++) {
      let word = 0;
      for (let b = 0; b < 4; b++) {
        const p = at + i * 4 + b;
        word = (word << 8) | (p < length ? data[p]! : p === length ? 0x80 : 0);
      }
      w[i] = word;
    }
    if (at + blockBytes === end) {
      w[bw - 2] = Math.floor(length / 0x20000000);
      w[bw - 1] = (length * 8) | 0;
    }
    k.compress(state, 0, state, 0);
  }
  return state;
}

/**
 * Keys an HMAC for HOTP/TOTP once and computes the dynamic truncation for any
 * number of counters. Keys longer than the hash block are hashed first (RFC 2104 §2).
 *
 * @param algorithm - the HMAC hash
 * @param key - the secret bytes (any length, 0 included); not kept or modified
 * @returns the keyed MAC; call `destroy()` when done to zero the key-derived state
 * @example
 * const mac = createOtpMac('SHA1', key);
 * const codes = [c - 1, c, c + 1].map((n) => mac.truncate(n) % 1e6);
 * mac.destroy();
 */
export function createOtpMac(algorithm: Algorithm, key: Uint8Array): OtpMac {
  if (Object.hasOwn(KERNELS, algorithm)) return new KeyedMac(KERNELS[algorithm as FastAlgorithm], key);
  const extra = EXTRA.get(algorithm);
  if (extra === undefined) throw algorithmError(algorithm);
  return extra.createMac(key);
}

// Filled only by registerAlgorithms(): the extra hashes stay out of a bundle that never asks for them.
const EXTRA = /* @__PURE__ */ new Map<unknown, OtpAlgorithm>();

/** Records an extra algorithm for every later computation; see `registerAlgorithms`. */
export function registerMac(algorithm: OtpAlgorithm): void {
  EXTRA.set(algorithm.name, algorithm);
}

/** True when codes can be computed with `algorithm`: a built-in kernel or a registered extra. */
export const canCompute = (algorithm: unknown): algorithm is Algorithm =>
  Object.hasOwn(KERNELS, algorithm as PropertyKey) || EXTRA.has(algorithm);

/**
 * The error for an algorithm we cannot compute with. The names of the extras
 * are spelled here, not listed, so that they cost the fast path a few bytes.
 */
export function algorithmError(algorithm: unknown): TypeError {
  if (typeof algorithm === 'string' && /^SHA(224|384|3-256|3-512)$/.test(algorithm)) {
    const id = algorithm.replace('-', '_');
    return new TypeError(`algorithm ${algorithm} is not registered: import { ${id} } from 'mfakit/algorithms' and call registerAlgorithms(${id}) once`);
  }
  const got = typeof algorithm === 'string' ? JSON.stringify(algorithm) : describe(algorithm);
  return new TypeError(`algorithm must be SHA1, SHA256, SHA512, or SHA224, SHA384, SHA3-256, SHA3-512 once registered, got ${got}`);
}
/**
 * RFC 4226 §5.3 on a digest as bytes: 31 bits starting at the offset given by
 * the low nibble of the last byte. The fast path reads the same bits from the
 * state words; this form is the reference the tests compare against.
 *
 * @param h - an HMAC digest (20, 32 or 64 bytes)
 * @returns `Snum`, 0 to 2^31−1
 * @example
 * dynamicTruncate(hmac(sha1, key, counterBytes)) % 1e6;
 */
export function dynamicTruncate(h: Uint8Array): number {
  const o = (h[h.length - 1] as number) & 0x0f;
  return (
    (((h[o] as number) & 0x7f) << 24) |
    ((h[o + 1] as number) << 16) |
    ((h[o + 2] as number) << 8) |
    (h[o + 3] as number)
  );
}
