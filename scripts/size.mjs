// Size budget: what a browser app pays for `verifyTotp` alone (all three hashes).
//
//   npm run size            (builds dist first if it is missing)
//
// Bundles an entry that imports only verifyTotp from dist/index.js with esbuild
// (--bundle --minify --platform=browser --format=esm), gzips it and fails over
// the budget. With platform=browser, esbuild refuses to resolve `node:` imports
// and Node built-ins, so one that reaches the bundle fails the build; a `node:`
// import left external by any other route is also checked in the metafile.
// The same entry bundled from src/ lists the modules tree-shaking kept, and fails
// when one that verifyTotp does not need (URIs, recovery codes, flows, stores) is in.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET = 7680; // 7.5 KB min+gzip (DESIGN.md, performance targets)
const root = fileURLToPath(new URL('..', import.meta.url));

if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

// Every algorithm is exercised, so none of the hash kernels can be tree-shaken away.
const entry = `
import { verifyTotp } from './dist/index.js';
export const check = (secret, token) =>
  ['SHA1', 'SHA256', 'SHA512'].map((algorithm) => verifyTotp(secret, token, { algorithm }).ok);
`;

const options = {
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'esm',
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/** Bundles `contents`; on failure prints esbuild's errors (a Node built-in it cannot resolve, for one) and exits 1. */
async function bundle(contents, sourcefile) {
  try {
    return await build({ ...options, stdin: { contents, resolveDir: root, sourcefile, loader: 'ts' } });
  } catch (err) {
    for (const e of err.errors ?? []) {
      console.error(`✗ ${e.text}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`);
      for (const note of e.notes ?? []) console.error(`  ${note.text}`);
    }
    if (!err.errors) console.error(err);
    console.error(`size: the browser bundle of ${sourcefile} failed to build`);
    process.exit(1);
  }
}

const result = await bundle(entry, 'size-entry.js');
// The same import from the TypeScript sources: dist/index.js is one file, so only
// this metafile shows which of our modules tree-shaking kept.
const fromSource = await bundle(entry.replace('./dist/index.js', './src/index.ts'), 'size-entry-src.ts');

const code = result.outputFiles[0].contents;
const gz = gzipSync(code, { level: 9 }).length;
const kept = (r) =>
  Object.entries(Object.values(r.metafile.outputs)[0].inputs)
    .map(([file, info]) => ({ file, bytes: info.bytesInOutput }))
    .filter((x) => x.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
const sourceModules = kept(fromSource);
// verifyTotp needs none of these; finding one means tree-shaking broke.
const unwanted = sourceModules.filter(({ file }) => /^src\/(core\/(uri|recovery)|mfa|store|adapters|testing|qr|cli)/.test(file));
const external = Object.values(result.metafile.inputs)
  .flatMap((i) => i.imports)
  .filter((imp) => imp.external || imp.path.startsWith('node:'));

console.log(`verifyTotp (SHA1, SHA256, SHA512), esbuild --bundle --minify --platform=browser --format=esm`);
console.log(`  minified ${code.length} B, gzip ${gz} B, budget ${BUDGET} B`);
console.log('  modules kept, bundled from the sources (minified bytes):');
for (const { file, bytes } of sourceModules) console.log(`    ${String(bytes).padStart(6)}  ${file}`);

let failed = false;
if (unwanted.length > 0) {
  console.error(`✗ modules verifyTotp does not need reached the bundle: ${unwanted.map((m) => m.file).join(', ')}`);
  failed = true;
}
if (external.length > 0) {
  console.error(`✗ imports left outside the bundle: ${external.map((i) => i.path).join(', ')}`);
  failed = true;
}
if (gz > BUDGET) {
  console.error(`✗ ${gz} B is over the ${BUDGET} B budget`);
  failed = true;
}
if (failed) process.exit(1);
console.log(`✓ within budget (${BUDGET - gz} B to spare), no Node built-ins`);
