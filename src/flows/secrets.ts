import { decodeSecret, encodeSecret } from '../core/secret.js';
import { MfaError } from '../errors.js';
import type { SecretKeyRing } from '../types.js';

/** Seals and opens factor secrets (and viewable recovery-code sets): AES-256-GCM bound to the user, the factor and the key id. */
export interface SecretVault {
  seal(userId: string, factorId: string, secret: Uint8Array): Promise<string>;
  /** `stale` when the record is not sealed under the current key and should be re-sealed. */
  open(userId: string, factorId: string, sealed: string): Promise<{ secret: Uint8Array; stale: boolean }>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IV_BYTES = 12;
const VERSION = 'v2';
// Longest sealed text read back, as stores keep it: a 64-byte secret sealed is
// about 140 characters, a set of 100 recovery codes about 3,400.
const MAX_SEALED = 4096;
const PLAIN = 'plain';

/**
 * Builds the vault. Sealed form: `v2.<keyId>.<iv>.<ciphertext+tag>` (base64url),
 * AES-256-GCM with AAD binding the format, key id, user id and factor id, so a
 * record copied to another user or factor, or relabelled with another key id,
 * fails to open. Without a key ring and with `allowPlaintext`, secrets are
 * stored as `plain.<base32>`; beside a key ring plaintext records are always
 * refused, so a database writer cannot downgrade a user to a secret of its choosing.
 *
 * @throws {MfaError} `INVALID_CONFIG` on a malformed key ring, none without
 *   `allowPlaintext`, or both a key ring and `allowPlaintext`
 */
export function createVault(ring: SecretKeyRing | undefined, allowPlaintext: boolean): SecretVault {
  if (ring === undefined) {
    if (!allowPlaintext) {
      throw new MfaError(
        'INVALID_CONFIG',
        'secretKeys is required: TOTP secrets are encrypted at rest. Pass { current, keys } with 32-byte keys, or allowPlaintextSecrets: true for development only',
      );
    }
    return plainVault();
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

  return {
    async seal(userId, factorId, secret) {
      const iv = new Uint8Array(IV_BYTES);
      crypto.getRandomValues(iv);
      // WebCrypto needs an ArrayBuffer-backed copy; it held the secret, so it is zeroed after.
      const plain = copy(secret);
      try {
        const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(ring.current, userId, factorId) }, await cryptoKey(ring.current), plain);
        return `${VERSION}.${ring.current}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
      } finally {
        plain.fill(0);
      }
    },
    async open(userId, factorId, sealed) {
      if (typeof sealed !== 'string' || sealed.length > MAX_SEALED) throw failed('the stored secret is not in the sealed format');
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
        plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad(keyId, userId, factorId) }, await cryptoKey(keyId), ct);
      } catch (cause) {
        throw failed('authentication failed (wrong key, a record of another user, or tampering)', cause);
      }
      return { secret: new Uint8Array(plain), stale: keyId !== ring.current };
    },
  };
}

function plainVault(): SecretVault {
  return {
    async seal(_userId, _factorId, secret) {
      return `${PLAIN}.${encodeSecret(secret)}`;
    },
    async open(_userId, _factorId, sealed) {
      if (typeof sealed !== 'string' || sealed.length > MAX_SEALED || !sealed.startsWith(`${PLAIN}.`)) {
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

// JSON of an array is an unambiguous encoding of the strings.
const aad = (keyId: string, userId: string, factorId: string): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(JSON.stringify(['mfakit/factor-secret', VERSION, keyId, userId, factorId]));

const copy = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
};

const failed = (why: string, cause?: unknown): MfaError =>
  new MfaError('SECRET_DECRYPTION_FAILED', `a stored secret could not be decrypted: ${why}`, cause === undefined ? undefined : { cause });

const config = (message: string): MfaError => new MfaError('INVALID_CONFIG', message);

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

/**
 * Standard or url-safe base64, padding optional; `null` when it is neither.
 * One linear pass with no regular expression: this reads text from the
 * database, where a backtracking pattern over a long run of `=` would block
 * the event loop for seconds.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d && text.length - end < 2) end--;
  if (end % 4 === 1 || end > MAX_SEALED) return null;
  let std = '';
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2d) std += '+';
    else if (c === 0x5f) std += '/';
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f) std += text[i];
    else return null;
  }
  const bin = atob(std + '='.repeat((4 - (end % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
