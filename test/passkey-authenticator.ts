// A software WebAuthn authenticator for tests (W3C WebAuthn Level 3 §6):
// ES256 (P-256) credentials, attestation "none", and a signature counter the
// test sets, so counter rules and clones can be exercised. It answers the
// options mfakit hands to the page with the JSON a browser's
// `credential.toJSON()` would post.
import { createHash, webcrypto } from 'node:crypto';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

/** Minimal CBOR (RFC 8949) for what authenticators emit: integers, byte and text strings, maps. */
function cbor(value: unknown): Uint8Array {
  const head = (major: number, n: number): number[] => {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
    return [(major << 5) | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  };
  if (typeof value === 'number') return new Uint8Array(value >= 0 ? head(0, value) : head(1, -1 - value));
  if (value instanceof Uint8Array) return new Uint8Array([...head(2, value.length), ...value]);
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    return new Uint8Array([...head(3, bytes.length), ...bytes]);
  }
  if (value instanceof Map) {
    const parts: number[] = head(5, value.size);
    for (const [k, v] of value) parts.push(...cbor(k), ...cbor(v));
    return new Uint8Array(parts);
  }
  throw new TypeError(`cbor: unsupported ${typeof value}`);
}

/** A P1363 (r || s) ECDSA signature as the DER SEQUENCE WebAuthn carries (RFC 3279). */
function der(raw: Uint8Array): Uint8Array {
  const int = (x: Uint8Array): number[] => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    const v = [...x.subarray(i)];
    return (v[0] as number) & 0x80 ? [0x02, v.length + 1, 0, ...v] : [0x02, v.length, ...v];
  };
  const body = [...int(raw.subarray(0, 32)), ...int(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}

const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

export interface SoftCredential {
  id: string;
  keys: CryptoKeyPair;
  /** The signature count the next answer reports (and then increments, unless `fixed`). */
  counter: number;
  /** Report the same count every time (0 for a synced passkey). */
  fixed: boolean;
}

export class SoftAuthenticator {
  constructor(
    readonly origin: string,
    readonly rpId: string,
  ) {}

  /** `navigator.credentials.create()` for `options` (PublicKeyCredentialCreationOptionsJSON). */
  async register(options: object, opts: { counter?: number; fixed?: boolean; rpId?: string; origin?: string } = {}): Promise<{ credential: SoftCredential; response: object }> {
    const o = options as { challenge: string; rp: { id: string } };
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const jwk = await webcrypto.subtle.exportKey('jwk', keys.publicKey);
    const coseKey = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, fromB64url(jwk.x as string)], [-3, fromB64url(jwk.y as string)]]));
    const idBytes = webcrypto.getRandomValues(new Uint8Array(16));
    const counter = opts.counter ?? 0;
    const authData = new Uint8Array([
      ...sha256(new TextEncoder().encode(opts.rpId ?? o.rp.id)),
      0x45, // UP | UV | AT
      ...u32(counter),
      ...new Uint8Array(16), // AAGUID: none
      0, idBytes.length,
      ...idBytes,
      ...coseKey,
    ]);
    const clientData = new TextEncoder().encode(JSON.stringify({ type: 'webauthn.create', challenge: o.challenge, origin: opts.origin ?? this.origin, crossOrigin: false }));
    const attestationObject = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const id = b64url(idBytes);
    const credential: SoftCredential = { id, keys, counter: opts.fixed === true ? counter : counter + 1, fixed: opts.fixed === true };
    return {
      credential,
      response: {
        id,
        rawId: id,
        type: 'public-key',
        response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestationObject), transports: ['internal'] },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      },
    };
  }

  /** `navigator.credentials.get()` for `options` (PublicKeyCredentialRequestOptionsJSON) with `credential`. */
  async assert(credential: SoftCredential, options: object, opts: { origin?: string; challenge?: string } = {}): Promise<object> {
    const o = options as { challenge: string; rpId: string };
    const authData = new Uint8Array([...sha256(new TextEncoder().encode(o.rpId ?? this.rpId)), 0x05, ...u32(credential.counter)]);
    if (!credential.fixed) credential.counter++;
    const clientData = new TextEncoder().encode(JSON.stringify({ type: 'webauthn.get', challenge: opts.challenge ?? o.challenge, origin: opts.origin ?? this.origin, crossOrigin: false }));
    const signed = new Uint8Array([...authData, ...sha256(clientData)]);
    const raw = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.keys.privateKey, signed));
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(der(raw)) },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
