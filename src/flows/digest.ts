import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * A domain-separated digest of `parts` (64 hex characters): HMAC-SHA-256
 * under the host's pepper, or SHA-256 without one. The store sees these
 * instead of tokens, e-mail codes and destinations. JSON of an array is an
 * unambiguous encoding of the parts.
 */
export function digest(pepper: Uint8Array | undefined, ...parts: string[]): string {
  const data = utf8ToBytes(JSON.stringify(parts));
  return bytesToHex(pepper === undefined ? sha256(data) : hmac(sha256, pepper, data));
}
