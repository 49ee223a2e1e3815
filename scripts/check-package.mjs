#!/usr/bin/env node
// Checks the package as users receive it: packs the built dist/ with `npm pack`,
// lints the tarball (publint --strict, @arethetypeswrong/cli), then installs it
// into a throwaway project and loads every entry point with require() and
// import(). Works offline: the tarball's runtime dependencies are linked from
// this repository's node_modules instead of being downloaded.
//
// Usage: npm run build && npm run check:package
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bin = join(root, 'node_modules', '.bin');
const work = mkdtempSync(join(tmpdir(), 'mfakit-pack-'));
let failed = false;

function step(title, fn) {
  process.stdout.write(`\n== ${title}\n`);
  try {
    fn();
  } catch (e) {
    failed = true;
    process.stdout.write(`FAILED: ${e.message}\n`);
  }
}

function run(cmd, args, { quiet = false, ...opts } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, ...opts });
  const output = `${quiet ? '' : (r.stdout ?? '')}${r.stderr ?? ''}`.replace(/^npm warn Unknown user config.*\n?/gm, '').trim();
  if (output) process.stdout.write(`${output}\n`);
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited with ${r.status ?? r.signal}`);
  return r.stdout;
}

try {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');

  let tarball = '';
  step('npm pack', () => {
    const out = run('npm', ['pack', '--json', '--pack-destination', work], { quiet: true });
    const [info] = JSON.parse(out.slice(out.indexOf('[')));
    tarball = join(work, info.filename);
    const files = info.files.map((f) => f.path);
    const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f));
    if (outside.length > 0) throw new Error(`unexpected files in the tarball: ${outside.join(', ')}`);
    const cli = info.files.find((f) => f.path === 'dist/cli.js');
    if (!cli) throw new Error('dist/cli.js (bin.mfakit) is not in the tarball');
    process.stdout.write(`${info.filename}: ${files.length} files, ${info.size} bytes packed, ${info.unpackedSize} unpacked\n`);
  });
  if (!tarball) throw new Error('npm pack failed');

  step('publint --strict', () => run(join(bin, 'publint'), ['run', '--strict', tarball]));
  // Default "strict" profile: node10, node16 (CJS and ESM) and bundler resolution must all be clean.
  step('attw (are the types wrong)', () => run(join(bin, 'attw'), [tarball, '--format', 'table-flipped']));

  const project = join(work, 'consumer');
  step('install the tarball into a fresh project', () => {
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    const target = join(project, 'node_modules', 'mfakit');
    mkdirSync(target);
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    // Production dependencies only, so a module that is missing from "dependencies" fails here.
    const listed = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { quiet: true });
    for (const dir of listed.split('\n').filter(Boolean)) {
      const rel = relative(join(root, 'node_modules'), dir);
      if (rel === '' || rel.startsWith('..') || rel.includes(`${sep}node_modules${sep}`)) continue;
      const link = join(project, 'node_modules', rel);
      if (existsSync(link)) continue;
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(dir, link, 'dir');
    }
  });

  step('install the optional peer of mfakit/webauthn, as a host that uses passkeys does', () => {
    const peer = join(project, 'node_modules', '@simplewebauthn', 'server');
    mkdirSync(dirname(peer), { recursive: true });
    symlinkSync(join(root, 'node_modules', '@simplewebauthn', 'server'), peer, 'dir');
  });

  const entries = ['mfakit', 'mfakit/qr', 'mfakit/testing', 'mfakit/postgres', 'mfakit/redis', 'mfakit/algorithms', 'mfakit/webauthn', 'mfakit/mysql'];
  const check = `
    const [core, qr] = mods;
    const key = new TextEncoder().encode('12345678901234567890');
    // RFC 6238 Appendix B, SHA1, T = 59 and T = 20000000000.
    if (core.generateTotp(key, { now: 59000, digits: 8 }) !== '94287082') throw new Error('wrong TOTP');
    if (core.generateTotp(key, { now: 20000000000000, digits: 8 }) !== '65353130') throw new Error('wrong TOTP after 2038');
    if (!core.isMfaError(new core.MfaError('INVALID_URI', 'x'))) throw new Error('isMfaError');
    if (!qr.qrSvg('otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').startsWith('<svg')) throw new Error('qrSvg');
    // The extra algorithms from their own entry, registered with the core of the same build
    // (the code is node:crypto's HMAC-SHA3-512 of the RFC key at counter 1, truncated per RFC 4226 §5.3).
    core.registerAlgorithms(...mods[5].extraAlgorithms);
    if (core.generateHotp(key, 1, { algorithm: 'SHA3-512' }) !== '625483') throw new Error('SHA3-512');
    if (mods[6].webauthn({ rpId: 'example.com', rpName: 'ACME', origins: ['https://example.com'] }).rpId !== 'example.com') throw new Error('webauthn');
    console.log(mods.length + ' entry points loaded; RFC 6238 vectors, qrSvg, registerAlgorithms and webauthn OK');`;

  step('require() every entry point (CJS build, without require(esm))', () => {
    const code = `const mods = ${JSON.stringify(entries)}.map((e) => require(e));
      if (require('mfakit/package.json').version !== ${JSON.stringify(pkg.version)}) throw new Error('package.json export');
      ${check}`;
    // --no-experimental-require-module: the CJS build must not rely on loading ESM-only @noble/hashes.
    run(process.execPath, ['--no-experimental-require-module', '-e', code], { cwd: project });
  });

  step('import() every entry point (ESM build)', () => {
    const code = `const mods = await Promise.all(${JSON.stringify(entries)}.map((e) => import(e)));
      const { default: meta } = await import('mfakit/package.json', { with: { type: 'json' } });
      if (meta.version !== ${JSON.stringify(pkg.version)}) throw new Error('package.json export');
      ${check}`;
    run(process.execPath, ['--input-type=module', '-e', code], { cwd: project });
  });

  step('the mfakit bin runs from the installed package', () => {
    const cli = join(project, 'node_modules', 'mfakit', pkg.bin.mfakit);
    const out = run(process.execPath, [cli, 'code', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '--time', '59', '--digits', '8'], { cwd: project });
    if (out.trim().split('\n').at(-1) !== '94287082') throw new Error('mfakit code printed the wrong code');
  });
} catch (e) {
  failed = true;
  process.stdout.write(`FAILED: ${e.message}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

process.stdout.write(failed ? '\ncheck-package: FAILED\n' : '\ncheck-package: all checks passed\n');
process.exitCode = failed ? 1 : 0;
