import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

/** HMAC hash functions of RFC 6238 §1.2. */
export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;

/**
 * Computes the RFC 4226 §5.3 dynamic truncation of HMAC(key, counter) for
 * many counters under one key: the HMAC key schedule runs once, not per counter.
 * Returns the 31-bit `Snum` before the modulo.
 */
export interface OtpMac {
  truncate(counter: number): number;
  /** Zeroes the keyed state. */
  destroy(): void;
}

export function createOtpMac(algorithm: Algorithm, key: Uint8Array): OtpMac {
  const keyed = hmac.create(HASHES[algorithm], key);
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  const out = new Uint8Array(keyed.outputLen);
  return {
    truncate(counter) {
      // Counters are exact up to 2^53-1: split into two 32-bit words, never `>>> 0` the whole.
      view.setUint32(0, Math.floor(counter / 0x100000000));
      view.setUint32(4, counter >>> 0);
      const h = keyed._cloneInto();
      h.update(msg).digestInto(out);
      h.destroy();
      return dynamicTruncate(out);
    },
    destroy() {
      keyed.destroy();
      out.fill(0);
    },
  };
}

/** RFC 4226 §5.3: 31 bits starting at the offset given by the low nibble of the last byte. */
export function dynamicTruncate(h: Uint8Array): number {
  const o = (h[h.length - 1] as number) & 0x0f;
  return (
    (((h[o] as number) & 0x7f) << 24) |
    ((h[o + 1] as number) << 16) |
    ((h[o + 2] as number) << 8) |
    (h[o + 3] as number)
  );
}
