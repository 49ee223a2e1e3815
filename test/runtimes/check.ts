// The runtime matrix's one check, the same in every runtime: the RFC vectors,
// the core with WebCrypto randomness, and enrol → confirm → sign-in → replay →
// recovery on MemoryStore. It takes the module as an argument so that the
// entries beside it decide where it comes from: the built package, `mfakit`.
// Only what every runtime has is used here: no Node built-ins, no DOM.
import type * as Mfakit from '../../src/index.js';
import { RFC4226_HOTP, RFC4226_SECRET, RFC6238_SECRETS, RFC6238_TOTP } from '../vectors/rfc.js';

export interface CheckReport {
  /** Runtime and version, as the runtime reports itself. */
  runtime: string;
  /** RFC 4226 Appendix D, counters 0–9. */
  hotp: string[];
  /** RFC 6238 Appendix B, in the order of test/vectors/rfc.ts. */
  totp: string[];
  core: { secretLength: number; verified: unknown; uriRoundTrip: boolean; recoveryCodes: number };
  /** Each result as returned, but for the random factor id, checked against the one confirmed. */
  flow: { confirmed: boolean; recoveryCodes: number; signIn: unknown; replay: unknown; recovery: unknown; recoveryReused: unknown };
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

function runtime(): string {
  const g = globalThis as {
    Bun?: { version: string };
    Deno?: { version: { deno: string } };
    process?: { versions?: { node?: string } };
    navigator?: { userAgent?: string };
  };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`;
  const ua = g.navigator?.userAgent ?? '';
  const chrome = /Chrome\/([\d.]+)/.exec(ua);
  if (chrome) return `chromium ${chrome[1]}`;
  return ua === 'Cloudflare-Workers' ? 'workerd' : `unknown (${ua})`;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

function vectors(m: typeof Mfakit): Pick<CheckReport, 'hotp' | 'totp'> {
  const hotp = RFC4226_HOTP.map((_, counter) => m.generateHotp(ascii(RFC4226_SECRET), counter));
  expectEqual('RFC 4226 HOTP', hotp, RFC4226_HOTP);
  const totp = RFC6238_TOTP.map(({ time, algorithm }) =>
    m.generateTotp(ascii(RFC6238_SECRETS[algorithm]), { now: time * 1000, algorithm, digits: 8 }),
  );
  expectEqual('RFC 6238 TOTP', totp, RFC6238_TOTP.map((v) => v.code));
  return { hotp, totp };
}

function core(m: typeof Mfakit): CheckReport['core'] {
  const now = 1_700_000_000_000;
  const secret = m.generateSecret();
  const verified = m.verifyTotp(secret, m.generateTotp(secret, { now }), { now });
  expectEqual('verifyTotp of its own code', verified, { ok: true, step: Math.floor(now / 30_000), delta: 0 });
  const uri = m.buildOtpauthUri({ issuer: 'ACME Co', account: 'jane@example.com', secret });
  const uriRoundTrip = m.parseOtpauthUri(uri).secret === secret;
  expectEqual('otpauth URI round trip', uriRoundTrip, true);
  const recoveryCodes = new Set(m.generateRecoveryCodes()).size;
  expectEqual('distinct recovery codes', recoveryCodes, 10);
  return { secretLength: secret.length, verified, uriRoundTrip, recoveryCodes };
}

async function flow(m: typeof Mfakit): Promise<CheckReport['flow']> {
  let clock = 1_700_000_000_000;
  const mfa = m.createMfa({
    store: m.createMemoryStore(),
    issuer: 'ACME Co',
    secretKeys: { current: 'k1', keys: { k1: base64(randomBytes(32)) } },
    pepper: base64(randomBytes(32)),
    now: () => clock,
  });
  const user = 'user-1';
  const { secret } = await mfa.beginEnrollment(user, { account: 'jane@example.com' });
  const confirmed = await mfa.confirmEnrollment(user, m.generateTotp(secret, { now: clock }));
  if (!confirmed.ok) throw new Error(`confirmEnrollment: ${JSON.stringify(confirmed)}`);
  const codes = confirmed.recoveryCodes ?? [];
  expectEqual('recovery codes with the first factor', codes.length, 10);

  clock += 30_000;
  const code = m.generateTotp(secret, { now: clock });
  const signIn = await mfa.verify(user, code);
  expectEqual('sign-in', signIn, { ok: true, method: 'totp', factorId: confirmed.factorId, remainingRecoveryCodes: 10 });
  const replay = await mfa.verify(user, code);
  expectEqual('the same code again', replay, { ok: false, reason: 'replayed' });
  const recovery = await mfa.verify(user, codes[0]);
  expectEqual('a recovery code', recovery, { ok: true, method: 'recovery', remainingRecoveryCodes: 9 });
  const recoveryReused = await mfa.verify(user, codes[0]);
  expectEqual('the used recovery code again', recoveryReused, { ok: false, reason: 'mismatch' });
  const { factorId: _, ...signInShown } = signIn as { factorId?: string };
  return { confirmed: true, recoveryCodes: codes.length, signIn: signInShown, replay, recovery, recoveryReused };
}

/**
 * Runs every check against `mfakit` and reports what each computed.
 * @throws {Error} naming the first result that differs from what is expected
 */
export async function runChecks(mfakit: typeof Mfakit): Promise<CheckReport> {
  return { runtime: runtime(), ...vectors(mfakit), core: core(mfakit), flow: await flow(mfakit) };
}
