import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RFC4226_HOTP, RFC6238_TOTP } from './vectors/rfc.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}; CI installs it with apt-get install -y chromium`);

describe.runIf(available)('in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let result: Record<string, unknown>;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: ['test/browser/entry.ts'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
    });
    const js = bundle.outputFiles[0]?.text ?? '';
    server = createServer((req, res) => {
      if (req.url === '/entry.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/entry.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => '__mfakitResult' in globalThis);
    result = await page.evaluate(() => (globalThis as unknown as { __mfakitResult: Promise<Record<string, unknown>> }).__mfakitResult);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('computes the RFC 4226 and RFC 6238 vectors', () => {
    expect(result.error).toBeUndefined();
    expect(result.hotp).toEqual(RFC4226_HOTP);
    expect(result.totp).toEqual(RFC6238_TOTP.map((v) => v.code));
  });

  it('generates secrets, verifies codes, round-trips URIs and makes recovery codes with WebCrypto randomness', () => {
    expect(result.secretLength).toBe(32);
    expect(result.verified).toEqual({ ok: true, step: Math.floor(1_700_000_000 / 30), delta: 0 });
    expect(result.parsedSecretMatches).toBe(true);
    expect(result.recoveryCount).toBe(10);
  });

  it('runs enrolment, sign-in, replay refusal and a recovery code on MemoryStore', () => {
    expect(result.flow).toEqual({ confirmed: true, signIn: 'totp', replay: 'replayed', recovery: 'recovery' });
  });
});
