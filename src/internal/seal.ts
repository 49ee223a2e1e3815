import { decodeSecret, encodeSecret } from '../core/secret.js';
import { MfaError } from '../errors.js';

/**
 * The host's key ring for secrets at rest: `current` names the key new
 * secrets are sealed with; older ids stay in `keys` until no record uses them.
 */
export interface SecretKeyRing {
  /** Id of the key that seals new secrets; 1–64 characters of `A–Z a–z 0–9 _ -`. */
  current: string;
  /** Keys by id: 32 bytes, as a Uint8Array or base64 / base64url text. */
  keys: Record<string, Uint8Array | string>;
}

/** Seals and opens TOTP secrets for one user id. */
export interface Sealer {
  seal(userId: string, secret: Uint8Array): Promise<string>;
  /** `stale` when the record is not sealed under the current key (or is plaintext) and should be re-sealed. */
  open(userId: string, sealed: string): Promise<{ secret: Uint8Array; stale: boolean }>;
  /**
   * Synchronous cache lookup: a copy of the secret `open` would return for this
   * user and this exact sealed text, when it is cached and under the current key
   * (not stale); otherwise `undefined`, and the caller goes through `open`.
   * The copy is the caller's, to zero after use.
   */
  openCached?(userId: string, sealed: string): Uint8Array | undefined;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IV_BYTES = 12;
const VERSION = 'v1';
const PLAIN = 'plain';

/**
 * Builds the sealer. Sealed form: `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url),
 * AES-256-GCM with AAD binding the format, key id and user id, so a record
 * copied to another user, or relabelled with another key id, fails to open.
 * Without a key ring and with `allowPlaintext`, secrets are stored as
 * `plain.<base32>`; beside a key ring plaintext records are always refused, so
 * a database writer cannot downgrade a user to a secret of its choosing.
 *
 * @throws {MfaError} `INVALID_CONFIG` on a malformed key ring, none without
 *   `allowPlaintext`, or both a key ring and `allowPlaintext`
 */
export function createSealer(ring: SecretKeyRing | undefined, allowPlaintext: boolean, cacheSize = 0): Sealer {
  const sealer = createUncachedSealer(ring, allowPlaintext);
  return cacheSize > 0 ? withCache(sealer, cacheSize) : sealer;
}

/**
 * Remembers the last `max` opened secrets, so a sign-in costs no AES round
 * trip through WebCrypto. A hit needs the same user id and the exact same
 * sealed text, which the AAD binds, so it is exactly what decryption would
 * return. Copies go out, since callers zero what they get.
 */
function withCache(inner: Sealer, max: number): Sealer {
  // By user id, holding the sealed text it was opened from: a short key to hash, and a
  // record re-sealed or replaced under the same user simply misses.
  const cache = new Map<string, { sealed: string; secret: Uint8Array; stale: boolean }>();
  return {
    seal: (userId, secret) => inner.seal(userId, secret),
    // No promise and no result object on the hot path of a sign-in; a stale hit
    // (to be re-sealed) and a miss go through `open`.
    openCached(userId, sealed) {
      const hit = cache.get(userId);
      return hit !== undefined && hit.sealed === sealed && !hit.stale ? hit.secret.slice() : undefined;
    },
    async open(userId, sealed) {
      const hit = cache.get(userId);
      if (hit !== undefined && hit.sealed === sealed) return { secret: hit.secret.slice(), stale: hit.stale };
      const opened = await inner.open(userId, sealed);
      if (hit !== undefined) {
        hit.secret.fill(0);
        cache.delete(userId);
      } else if (cache.size >= max) {
        // Oldest inserted goes first: Map iterates in insertion order.
        const oldest = cache.keys().next().value as string;
        cache.get(oldest)?.secret.fill(0);
        cache.delete(oldest);
      }
      cache.set(userId, { sealed, secret: opened.secret.slice(), stale: opened.stale });
      return opened;
    },
  };
}

function createUncachedSealer(ring: SecretKeyRing | undefined, allowPlaintext: boolean): Sealer {
  if (ring === undefined) {
    if (!allowPlaintext) {
      throw new MfaError(
        'INVALID_CONFIG',
        'secretKeys is required: TOTP secrets are encrypted at rest. Pass { current, keys } with 32-byte keys, or allowPlaintextSecrets: true for development only',
      );
    }
    return plainSealer();
  }
  if (allowPlaintext) {
    throw new MfaError('INVALID_CONFIG', 'allowPlaintextSecrets is only for running without secretKeys; pass one or the other');
  }
  const keys = validateRing(ring);
  const imported = new Map<string, Promise<CryptoKey>>();
  const cryptoKey = (id: string): Promise<CryptoKey> => {
    let k = imported.get(id);
    if (k === undefined) {
      const raw = keys.get(id) as Uint8Array<ArrayBuffer>;
      k = crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      imported.set(id, k);
    }
    return k;
  };

  const sealer: Sealer = {
    async seal(userId, secret) {
      const iv = new Uint8Array(IV_BYTES);
      crypto.getRandomValues(iv);
      const ct = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad(ring.current, userId) },
        await cryptoKey(ring.current),
        copy(secret),
      );
      return `${VERSION}.${ring.current}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
    },
    async open(userId, sealed) {
      if (typeof sealed !== 'string') throw failed('the stored secret is not a string');
      // Never accepted beside a key ring: a database writer could otherwise choose a user's secret.
      if (sealed.startsWith(`${PLAIN}.`)) throw failed('a plaintext secret is stored but secrets are sealed under a key ring');
      const parts = sealed.split('.');
      const [version, keyId, ivText, ctText] = parts;
      if (parts.length !== 4 || version !== VERSION || keyId === undefined || ivText === undefined || ctText === undefined) {
        throw failed('the stored secret is not in the sealed format');
      }
      if (!keys.has(keyId)) throw failed(`the stored secret uses key id "${keyId.slice(0, 64)}", which is not in secretKeys`);
      const iv = fromBase64(ivText);
      const ct = fromBase64(ctText);
      if (iv === null || iv.length !== IV_BYTES || ct === null || ct.length < 16) throw failed('the stored secret is not in the sealed format');
      let plain: ArrayBuffer;
      try {
        plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad(keyId, userId) }, await cryptoKey(keyId), ct);
      } catch (cause) {
        throw failed('authentication failed (wrong key, a record of another user, or tampering)', cause);
      }
      return { secret: new Uint8Array(plain), stale: keyId !== ring.current };
    },
  };
  return sealer;
}

function plainSealer(): Sealer {
  return {
    async seal(_userId, secret) {
      return `${PLAIN}.${encodeSecret(secret)}`;
    },
    async open(_userId, sealed) {
      if (typeof sealed !== 'string' || !sealed.startsWith(`${PLAIN}.`)) {
        throw failed('the stored secret is sealed but no secretKeys are configured');
      }
      return { secret: openPlain(sealed), stale: false };
    },
  };
}

function openPlain(sealed: string): Uint8Array {
  try {
    return decodeSecret(sealed.slice(PLAIN.length + 1));
  } catch (cause) {
    throw failed('the stored plaintext secret is not base32', cause);
  }
}

function validateRing(ring: SecretKeyRing): Map<string, Uint8Array<ArrayBuffer>> {
  if (typeof ring !== 'object' || ring === null) throw config('secretKeys must be an object { current, keys }');
  if (typeof ring.keys !== 'object' || ring.keys === null) throw config('secretKeys.keys must be an object of key id → 32-byte key');
  const keys = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const [id, value] of Object.entries(ring.keys)) {
    if (!KEY_ID.test(id)) throw config(`secretKeys.keys: key id "${id.slice(0, 64)}" must be 1–64 characters of A–Z a–z 0–9 _ -`);
    const bytes = typeof value === 'string' ? fromBase64(value) : value instanceof Uint8Array ? copy(value) : null;
    if (bytes === null || bytes.length !== 32) {
      throw config(`secretKeys.keys["${id}"] must be 32 bytes (AES-256), as a Uint8Array or base64 text`);
    }
    keys.set(id, bytes);
  }
  if (typeof ring.current !== 'string' || !keys.has(ring.current)) {
    throw config('secretKeys.current must name a key in secretKeys.keys');
  }
  return keys;
}

// JSON of an array is an unambiguous encoding of the three strings.
const aad = (keyId: string, userId: string): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(JSON.stringify(['mfakit/totp-secret', VERSION, keyId, userId]));

const copy = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
};

const failed = (why: string, cause?: unknown): MfaError =>
  new MfaError('SECRET_DECRYPTION_FAILED', `stored TOTP secret could not be decrypted: ${why}`, cause === undefined ? undefined : { cause });

const config = (message: string): MfaError => new MfaError('INVALID_CONFIG', message);

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Standard or url-safe base64, padding optional; `null` when it is neither. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  const std = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(std) || std.length % 4 === 1) return null;
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
