// Runs in headless Chromium: the library as a browser app imports it, with no Node built-ins.
import * as mfakit from '../../src/index.js';
import { RFC4226_HOTP, RFC4226_SECRET, RFC6238_SECRETS, RFC6238_TOTP } from '../vectors/rfc.js';

const ascii = (s: string) => new TextEncoder().encode(s);

async function run(): Promise<Record<string, unknown>> {
  const hotp = RFC4226_HOTP.map((_, counter) => mfakit.generateHotp(ascii(RFC4226_SECRET), counter));
  const totp = RFC6238_TOTP.map(({ time, algorithm }) =>
    mfakit.generateTotp(ascii(RFC6238_SECRETS[algorithm]), { now: time * 1000, algorithm, digits: 8 }),
  );
  const secret = mfakit.generateSecret();
  const now = 1_700_000_000_000;
  const code = mfakit.generateTotp(secret, { now });
  const verified = mfakit.verifyTotp(secret, code, { now });
  const uri = mfakit.buildOtpauthUri({ issuer: 'ACME Co', account: 'jane@example.com', secret });
  const parsed = mfakit.parseOtpauthUri(uri);
  const recovery = mfakit.generateRecoveryCodes();
  const flow = await runFlow();
  return { hotp, totp, secretLength: secret.length, verified, parsedSecretMatches: parsed.secret === secret, recoveryCount: recovery.length, flow };
}

// The stateful layer needs WebCrypto (AES-GCM) and nothing from Node.
async function runFlow(): Promise<unknown> {
  const m = mfakit as unknown as Record<string, unknown>;
  if (typeof m.createMfa !== 'function' || typeof m.createMemoryStore !== 'function') return 'absent';
  let clock = 1_700_000_000_000;
  const key = new Uint8Array(32);
  crypto.getRandomValues(key);
  const createMfa = m.createMfa as (o: unknown) => {
    beginEnrollment(u: string, o: { account: string }): Promise<{ secret: string }>;
    confirmEnrollment(u: string, c: string): Promise<{ ok: boolean; recoveryCodes?: string[] }>;
    verify(u: string, c: string): Promise<{ ok: boolean; method?: string; reason?: string }>;
  };
  const createMemoryStore = m.createMemoryStore as () => unknown;
  const mfa = createMfa({ store: createMemoryStore(), issuer: 'ACME', secretKeys: { current: 'k1', keys: { k1: key } }, now: () => clock });
  const { secret } = await mfa.beginEnrollment('u1', { account: 'jane' });
  const confirmed = await mfa.confirmEnrollment('u1', mfakit.generateTotp(secret, { now: clock }));
  clock += 30_000;
  const signIn = await mfa.verify('u1', mfakit.generateTotp(secret, { now: clock }));
  const replay = await mfa.verify('u1', mfakit.generateTotp(secret, { now: clock }));
  const recovery = await mfa.verify('u1', confirmed.recoveryCodes?.[0] ?? '');
  return { confirmed: confirmed.ok, signIn: signIn.ok && signIn.method, replay: replay.reason, recovery: recovery.ok && recovery.method };
}

(globalThis as Record<string, unknown>).__mfakitResult = run().catch((e: unknown) => ({ error: String(e) }));
