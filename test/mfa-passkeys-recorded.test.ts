// Passkey responses recorded from Chromium's virtual authenticator, replayed
// through the flows: the same seeded random source and clock make the same
// challenges, so the recorded registration and assertions must verify, and a
// replay must not. Recorded by `node scripts/record-passkey-fixtures.mjs`
// (the fixture says with which Chromium).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createMfa } from '../src/index.js';
import { webauthn } from '../src/webauthn.js';
import { seeded } from './vectors/seeded.mjs';

interface Recorded {
  origin: string;
  rpId: string;
  now: number;
  seed: number;
  registration: { options: object; response: object };
  assertions: { options: object; response: object }[];
}

const fixture = JSON.parse(readFileSync(new URL('./vectors/passkeys-chromium.json', import.meta.url), 'utf8')) as Recorded;

function replay(over: { origins?: string[] } = {}) {
  return createMfa({
    store: createMemoryStore(),
    issuer: 'ACME',
    secretKeys: { current: 'k1', keys: { k1: new Uint8Array(32).fill(7) } },
    pepper: 'fixture-pepper',
    now: () => fixture.now,
    random: seeded(fixture.seed),
    passkeys: webauthn({ rpId: fixture.rpId, rpName: 'ACME', origins: over.origins ?? [fixture.origin] }),
  });
}

describe('passkey responses recorded from Chromium', () => {
  it('verify: registration, two sign-ins, and a replay refused', async () => {
    const mfa = replay();
    const begun = await mfa.beginPasskeyRegistration('user-1', { userName: 'user-1@example.com', label: 'Chromium' });
    expect(begun.options).toEqual(fixture.registration.options);
    const registered = await mfa.finishPasskeyRegistration('user-1', fixture.registration.response);
    expect(registered).toMatchObject({ ok: true, factorId: begun.factorId });
    for (const [i, a] of fixture.assertions.entries()) {
      const { options } = await mfa.beginPasskeySignIn('user-1');
      expect(options, `sign-in ${i + 1}: the challenge repeats`).toEqual(a.options);
      expect(await mfa.verify('user-1', a.response)).toMatchObject({ ok: true, method: 'webauthn', factorId: begun.factorId });
    }
    expect(await mfa.verify('user-1', fixture.assertions[0]?.response)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('the same responses from an origin that is not allowed are mismatches', async () => {
    const mfa = replay({ origins: ['https://elsewhere.localhost'] });
    await mfa.beginPasskeyRegistration('user-1', { userName: 'user-1@example.com', label: 'Chromium' });
    expect(await mfa.finishPasskeyRegistration('user-1', fixture.registration.response)).toEqual({ ok: false, reason: 'mismatch' });
  });
});
