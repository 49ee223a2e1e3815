// Records test/vectors/passkeys-chromium.json: a passkey registration and two
// sign-ins made by Chromium's virtual authenticator (CDP WebAuthn domain)
// against options from the built mfakit, with a seeded random source and a
// fixed clock, so test/mfa-passkeys-recorded.test.ts can replay them exactly.
//
//   npm run build && node scripts/record-passkey-fixtures.mjs
//
// Needs Debian's Chromium at /usr/bin/chromium (CHROMIUM_PATH to override).
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { createMemoryStore, createMfa } from '../dist/index.js';
import { webauthn } from '../dist/webauthn.js';
import { seeded } from '../test/vectors/seeded.mjs';

const FIXTURE = new URL('../test/vectors/passkeys-chromium.json', import.meta.url);
const T = 1_767_225_600_000;
const SEED = 20261201;

async function main() {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>passkeys</title>'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${server.address().port}`;
  const mfa = createMfa({
    store: createMemoryStore(),
    issuer: 'ACME',
    secretKeys: { current: 'k1', keys: { k1: new Uint8Array(32).fill(7) } },
    pepper: 'fixture-pepper',
    now: () => T,
    random: seeded(SEED),
    passkeys: webauthn({ rpId: 'localhost', rpName: 'ACME', origins: [origin] }),
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(origin);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const create = (options) =>
      page.evaluate(async (o) => (await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(o) })).toJSON(), options);
    const get = (options) => page.evaluate(async (o) => (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(o) })).toJSON(), options);

    const begun = await mfa.beginPasskeyRegistration('user-1', { userName: 'user-1@example.com', label: 'Chromium' });
    const registration = { options: begun.options, response: await create(begun.options) };
    const finished = await mfa.finishPasskeyRegistration('user-1', registration.response);
    if (!finished.ok) throw new Error(`the recorded registration does not verify: ${finished.reason}`);
    const assertions = [];
    for (let i = 0; i < 2; i++) {
      const { options } = await mfa.beginPasskeySignIn('user-1');
      const response = await get(options);
      const r = await mfa.verify('user-1', response);
      if (!r.ok) throw new Error(`recorded assertion ${i + 1} does not verify: ${r.reason}`);
      assertions.push({ options, response });
    }
    const fixture = {
      how: 'node scripts/record-passkey-fixtures.mjs: Chromium virtual authenticator (ctap2, internal, user verification), options from mfakit with a seeded random source and a fixed clock',
      chromium: browser.version(),
      origin,
      rpId: 'localhost',
      now: T,
      seed: SEED,
      registration,
      assertions,
    };
    writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
    console.log(`wrote ${FIXTURE.pathname} (Chromium ${browser.version()}, origin ${origin})`);
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
