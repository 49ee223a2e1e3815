// mfakit/webauthn: the WebAuthn relying party for passkeys, on @simplewebauthn/server
// (an optional peer dependency: hosts that do not use passkeys never load it).
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { MfaError } from './errors.js';
import type { PasskeyRelyingParty } from './types.js';

/** Options of {@link webauthn}. */
export interface WebAuthnOptions {
  /** The relying-party id: the site's registrable domain or a parent of it, e.g. `example.com` (no scheme, port or path). */
  rpId: string;
  /** The name the browser shows, e.g. `ACME`. */
  rpName: string;
  /** Origins the pages run on, e.g. `['https://example.com', 'https://app.example.com']`: `https://` on the rpId or a subdomain of it (`http://localhost` for development). */
  origins: readonly string[];
  /**
   * Whether the authenticator must verify the user (PIN, biometrics). A second
   * factor after a password needs presence only.
   * @default 'preferred'
   */
  userVerification?: 'required' | 'preferred' | 'discouraged' | undefined;
}

// A registrable domain: lower-case labels of letters, digits and hyphens, dot-separated.
const DOMAIN = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

/**
 * The relying party for `createMfa({ passkeys })`: option generation and
 * response verification by @simplewebauthn/server, with attestation `none`
 * (no device attestation is asked for or trusted) and the credential's own
 * signature checked against the public key the flows stored. The flows keep
 * the challenges (single use), the throttling, the factors and the counters.
 *
 * @param opts - `rpId`, `rpName`, `origins`, `userVerification?`
 * @returns the relying party
 * @throws {MfaError} `INVALID_CONFIG` on a missing or malformed rpId, rpName or
 *   origin, or an origin outside the rpId
 * @example
 * import { webauthn } from 'mfakit/webauthn';
 * const mfa = createMfa({ …, passkeys: webauthn({ rpId: 'example.com', rpName: 'ACME', origins: ['https://example.com'] }) });
 */
export function webauthn(opts: WebAuthnOptions): PasskeyRelyingParty {
  const invalid = (message: string): MfaError => new MfaError('INVALID_CONFIG', `webauthn: ${message}`);
  if (typeof opts !== 'object' || opts === null) throw invalid('expects { rpId, rpName, origins }');
  const { rpId, rpName, origins } = opts;
  const userVerification = opts.userVerification ?? 'preferred';
  if (typeof rpId !== 'string' || !DOMAIN.test(rpId)) throw invalid('rpId must be a lower-case domain such as "example.com" (no scheme, port or path)');
  if (typeof rpName !== 'string' || rpName.trim() === '' || rpName.length > 64) throw invalid('rpName must be a non-empty name of at most 64 characters');
  if (!Array.isArray(origins) || origins.length === 0) throw invalid('origins must be a non-empty array of origins such as "https://example.com"');
  for (const origin of origins) checkOrigin(origin, rpId, invalid);
  if (!['required', 'preferred', 'discouraged'].includes(userVerification)) throw invalid("userVerification must be 'required', 'preferred' or 'discouraged'");
  const expectedOrigin = [...origins] as string[];
  const requireUserVerification = userVerification === 'required';

  return Object.freeze({
    rpId,

    registrationOptions: ({ challenge, userHandle, userName, exclude }) =>
      generateRegistrationOptions({
        rpName,
        rpID: rpId,
        userName,
        userID: userHandle as Uint8Array<ArrayBuffer>,
        challenge: challenge as Uint8Array<ArrayBuffer>,
        attestationType: 'none',
        excludeCredentials: exclude.map((c) => ({ id: c.id, transports: c.transports })),
        // A second factor: no discoverable credential needed (it is not a sign-in without a user name).
        authenticatorSelection: { residentKey: 'discouraged', userVerification },
      }) as Promise<object>,

    verifyRegistration: (response, challenge) =>
      orNull(async () => {
        const r = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin,
          expectedRPID: rpId,
          requireUserVerification,
        });
        if (!r.verified) return null;
        const { credential } = r.registrationInfo;
        return { credential: { id: credential.id, publicKey: new Uint8Array(credential.publicKey), transports: [...(credential.transports ?? [])] }, counter: credential.counter };
      }),

    authenticationOptions: ({ challenge, allow }) =>
      generateAuthenticationOptions({
        rpID: rpId,
        challenge: challenge as Uint8Array<ArrayBuffer>,
        allowCredentials: allow.map((c) => ({ id: c.id, transports: c.transports })),
        userVerification,
      }) as Promise<object>,

    verifyAuthentication: (response, challenge, credential) =>
      orNull(async () => {
        const r = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin,
          expectedRPID: rpId,
          // The counter is judged by the flows (clone detection with an event): 0 here.
          credential: { id: credential.id, publicKey: credential.publicKey as Uint8Array<ArrayBuffer>, counter: 0, transports: credential.transports as never },
          requireUserVerification,
        });
        return r.verified ? { counter: r.authenticationInfo.newCounter } : null;
      }),
  } satisfies PasskeyRelyingParty);
}

/** A verification's answer, or `null` when it threw: a response that does not verify, however malformed, is the caller's mismatch. */
async function orNull<T>(verify: () => Promise<T | null>): Promise<T | null> {
  try {
    return await verify();
  } catch {
    return null;
  }
}

function checkOrigin(origin: unknown, rpId: string, invalid: (m: string) => MfaError): void {
  let url: URL;
  try {
    url = new URL(String(origin));
  } catch {
    throw invalid(`origin ${JSON.stringify(String(origin)).slice(0, 80)} is not a URL`);
  }
  if (typeof origin !== 'string' || url.origin !== origin) throw invalid(`origin ${JSON.stringify(origin).slice(0, 80)} must be an origin only (scheme, host, port), such as "https://example.com"`);
  const host = url.hostname;
  const local = host === 'localhost' || host.endsWith('.localhost');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) throw invalid(`origin ${origin} must use https (http only on localhost)`);
  if (host !== rpId && !host.endsWith(`.${rpId}`)) throw invalid(`origin ${origin} is not on the rpId ${rpId} or a subdomain of it`);
}
