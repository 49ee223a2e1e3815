// Passkeys (WebAuthn) as a second factor: registration as a confirmation and
// sign-in as an attempt kind, through the same pipeline, budget and events as
// authenticator codes. The relying party (mfakit/webauthn) checks signatures;
// this file keeps the challenges, the factor records and the counters.
import { constantTimeEqual } from '../../core/compare.js';
import { fillRandom } from '../../internal/random.js';
import type { Accepted, Activated, AttemptStart, CodeAttempt, FactorRecord, RecoverySet } from '../../store/types.js';
import type { PasskeyCredential, PasskeyRelyingParty } from '../../types.js';
import { MALFORMED, MISMATCH, reserveFactors, type AttemptKind } from '../attempt.js';
import type { ResolvedConfig } from '../config.js';
import { digest } from '../digest.js';
import { fromBase64 } from '../secrets.js';
import { requireCapability } from '../store.js';
import { activateMatch, type ConfirmMatch } from './activation.js';

export const PASSKEY = 'webauthn';

/** How long a sign-in challenge may be answered. */
export const CHALLENGE_TTL_MS = 300_000;
const CHALLENGE_RANDOM_BYTES = 32;
// Longest response field read (base64url): client data is a few hundred bytes.
const MAX_FIELD = 4096;
const MAX_META = 1024;

/** What a passkey factor's `meta` holds. */
interface PasskeyMeta {
  /** Credential id, base64url: public, it names the credential in assertions. */
  credentialId: string;
  /** The COSE public key sealed with the key ring (bound to user and factor), so a database writer cannot swap in a key of its own. */
  key: string;
  /** The authenticator reported a signature count at registration: it must keep counting upward. */
  counting: boolean;
  transports: string[];
}

/** A registration or assertion response as posted by the page: the JSON, its credential id and the challenge its client data names. */
export interface PasskeyAnswer {
  response: object;
  credentialId: string;
  challenge: string;
}

/**
 * The answer in `input` when it is shaped like a WebAuthn response of `type`
 * (`webauthn.create` for a registration, `webauthn.get` for an assertion),
 * else `null` — malformed, before any store call. Only the fields the flows
 * read are checked here; the relying party checks the rest.
 */
export function parsePasskeyAnswer(input: unknown, type: 'webauthn.create' | 'webauthn.get'): PasskeyAnswer | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const { id, type: kind, response } = input as { id?: unknown; type?: unknown; response?: unknown };
  if (kind !== 'public-key' || !isField(id) || typeof response !== 'object' || response === null) return null;
  const { clientDataJSON } = response as { clientDataJSON?: unknown };
  if (!isField(clientDataJSON)) return null;
  const bytes = fromBase64(clientDataJSON);
  if (bytes === null) return null;
  let client: { type?: unknown; challenge?: unknown };
  try {
    client = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as typeof client;
  } catch {
    return null;
  }
  if (typeof client !== 'object' || client === null || client.type !== type || !isField(client.challenge) || client.challenge.length > 128) return null;
  return { response: input, credentialId: id, challenge: client.challenge };
}

const isField = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD && fromBase64(v) !== null;

/**
 * A fresh challenge: 32 random bytes and, after them, when it expires (8
 * bytes, big-endian ms), so an answer to a challenge that is gone can be told
 * apart: expired, or already used (a replay).
 */
export function newChallenge(cfg: ResolvedConfig, expiresAt: number): Uint8Array {
  const bytes = new Uint8Array(CHALLENGE_RANDOM_BYTES + 8);
  fillRandom(bytes.subarray(0, CHALLENGE_RANDOM_BYTES), cfg.random);
  new DataView(bytes.buffer).setBigUint64(CHALLENGE_RANDOM_BYTES, BigInt(expiresAt));
  return bytes;
}

/** When a challenge (base64url) said it expires; 0 when it is not one of ours. */
function expiryOf(challenge: string): number {
  const bytes = fromBase64(challenge);
  if (bytes === null || bytes.length !== CHALLENGE_RANDOM_BYTES + 8) return 0;
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(CHALLENGE_RANDOM_BYTES));
}

/** The one-time record of a sign-in challenge: user-scoped, addressed by a digest of the challenge. */
export const challengeRecordId = (cfg: ResolvedConfig, userId: string, challenge: string): string => digest(cfg.pepper, 'mfakit/passkey-challenge-id', userId, challenge);
export const challengeDigest = (cfg: ResolvedConfig, challenge: string): string => digest(cfg.pepper, 'mfakit/passkey-challenge', challenge);

/** The user handle the authenticator stores: a digest of the user id, so the id itself never leaves the server. */
export const userHandle = (cfg: ResolvedConfig, userId: string): Uint8Array => ascii(digest(cfg.pepper, 'mfakit/passkey-user', userId)).subarray(0, 32);

/** The passkey's `meta`, or `null` when the factor is not a readable passkey. */
export function passkeyMeta(factor: FactorRecord): PasskeyMeta | null {
  if (factor.kind !== PASSKEY) return null;
  try {
    const m = JSON.parse(factor.meta) as Partial<PasskeyMeta>;
    return typeof m.credentialId === 'string' && typeof m.key === 'string' && typeof m.counting === 'boolean' && Array.isArray(m.transports) ? (m as PasskeyMeta) : null;
  } catch {
    return null;
  }
}

/** The active passkeys of a user, as the relying party lists them in options. */
export const credentialsOf = (factors: readonly FactorRecord[]): { id: string; transports: string[] }[] =>
  factors.flatMap((f) => {
    const m = f.state === 'active' ? passkeyMeta(f) : null;
    return m === null ? [] : [{ id: m.credentialId, transports: m.transports }];
  });

/**
 * The factor's counter after an assertion that reported `reported`, or `null`
 * for a suspected clone (W3C WebAuthn §7.2 step 22). An authenticator that
 * counts must report more than last time; one that reports 0 (synced passkeys
 * do) is not checked, and its counter advances by one per sign-in, so the
 * counter stays monotonic either way (the single-use challenge stops replays).
 */
export function nextCounter(stored: number, reported: number, counting: boolean): number | null {
  if (reported === 0) return counting ? null : stored + 1;
  return reported > stored ? reported : null;
}

/** A registration that matched: what `activateFactor` writes. */
type PasskeyConfirmInput = PasskeyAnswer & { recovery: RecoverySet };

/** Registration: the browser's response to one of the user's pending passkey registrations. */
export function passkeyConfirm(cfg: ResolvedConfig, rp: PasskeyRelyingParty): AttemptKind<PasskeyConfirmInput, AttemptStart, ConfirmMatch, Activated> {
  return {
    method: PASSKEY,
    absent: 'not-enrolled',
    lost: 'expired',
    load: reserveFactors(cfg, 'pending'),
    async check(userId, { factors }, { response, challenge, recovery }) {
      const wanted = fromBase64(challenge);
      let pending: FactorRecord | undefined;
      for (const f of factors) {
        if (f.kind !== PASSKEY || wanted === null) continue;
        // The registration challenge is the pending factor's sealed secret.
        const { secret } = await cfg.vault.open(userId, f.id, f.secret);
        if (constantTimeEqual(secret, wanted)) pending ??= f;
        secret.fill(0);
      }
      if (pending === undefined) return MISMATCH;
      const made = await rp.verifyRegistration(response, challenge);
      if (made === null) return MISMATCH;
      const { credential, counter } = made;
      const meta = JSON.stringify({
        credentialId: credential.id,
        key: await cfg.vault.seal(userId, pending.id, credential.publicKey),
        counting: counter > 0,
        transports: credential.transports,
      } satisfies PasskeyMeta);
      // A credential id or key too large for a factor record: no authenticator this library can keep.
      if (meta.length > MAX_META) return MALFORMED;
      return { factorId: pending.id, counter, meta, recovery };
    },
    accept: activateMatch(cfg),
    factorOf: (m) => m.factorId,
  };
}

/** A sign-in assertion that matched: the passkey and its counter after it. */
export interface PasskeyMatch {
  factorId: string;
  counter: number;
}

/**
 * Sign-in with a passkey: reserve-and-load spends the single-use challenge
 * the assertion names; the check finds the passkey by credential id, opens its
 * public key and has the relying party verify the signature; the decisive
 * write advances the counter (which also clears the failures, as a right code does).
 */
export function passkeySignIn(cfg: ResolvedConfig, rp: PasskeyRelyingParty): AttemptKind<PasskeyAnswer, CodeAttempt, PasskeyMatch, Accepted> {
  return {
    method: PASSKEY,
    // The challenge is gone: expired, or already answered (a replayed assertion).
    absent: ({ challenge }, now) => (expiryOf(challenge) > now ? 'replayed' : 'expired'),
    lost: 'replayed',
    load: (userId, { challenge }, now) =>
      requireCapability(cfg.store, 'oneTime', 'verify with a passkey').beginCodeAttempt(userId, challengeRecordId(cfg, userId, challenge), now, cfg.schedule),
    async check(userId, { code }, { response, credentialId, challenge }, now) {
      if (code === null || !constantTimeEqual(ascii(code.digest), ascii(challengeDigest(cfg, challenge)))) return MISMATCH;
      const { factors } = await cfg.store.getUser(userId);
      const factor = factors.find((f) => f.state === 'active' && passkeyMeta(f)?.credentialId === credentialId);
      const meta = factor === undefined ? null : passkeyMeta(factor);
      if (factor === undefined || meta === null) return MISMATCH;
      const { secret: publicKey } = await cfg.vault.open(userId, factor.id, meta.key);
      const credential: PasskeyCredential = { id: meta.credentialId, publicKey, transports: meta.transports };
      const signed = await rp.verifyAuthentication(response, challenge, credential);
      if (signed === null) return MISMATCH;
      const counter = nextCounter(factor.counter, signed.counter, meta.counting);
      if (counter === null) {
        cfg.emit(() => ({ type: 'passkey.clone-suspected', userId, at: now, factorId: factor.id }));
        return MISMATCH;
      }
      return { factorId: factor.id, counter };
    },
    accept: (userId, m, now) => cfg.store.advanceCounter(userId, m.factorId, m.counter, now),
    factorOf: (m) => m.factorId,
  };
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
