// Size budget: what a browser app pays for `verifyTotp` alone (all three hashes).
//
//   npm run size            (builds dist first if it is missing)
//
// Bundles an entry that imports only verifyTotp from dist/index.js with esbuild
// (--bundle --minify --platform=browser --format=esm), gzips it and fails over
// the budget. With platform=browser, esbuild refuses to resolve `node:` imports
// and Node built-ins, so one that reaches the bundle fails the build; a `node:`
// import left external by any other route is also checked in the metafile.
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

let result;
try {
  result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'size-entry.js', loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
} catch (err) {
  // esbuild's errors name the import that could not be bundled (a Node built-in, for one).
  for (const e of err.errors ?? []) {
    console.error(`✗ ${e.text}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`);
    for (const note of e.notes ?? []) console.error(`  ${note.text}`);
  }
  if (!err.errors) console.error(err);
  console.error('size: the browser bundle of verifyTotp failed to build');
  process.exit(1);
}

const code = result.outputFiles[0].contents;
const gz = gzipSync(code, { level: 9 }).length;
const inputs = Object.entries(result.metafile.outputs['<stdout>']?.inputs ?? Object.values(result.metafile.outputs)[0].inputs)
  .map(([file, info]) => ({ file, bytes: info.bytesInOutput }))
  .filter((x) => x.bytes > 0)
  .sort((a, b) => b.bytes - a.bytes);
const external = Object.values(result.metafile.inputs)
  .flatMap((i) => i.imports)
  .filter((imp) => imp.external || imp.path.startsWith('node:'));

console.log(`verifyTotp (SHA1, SHA256, SHA512), esbuild --bundle --minify --platform=browser --format=esm`);
console.log(`  minified ${code.length} B, gzip ${gz} B, budget ${BUDGET} B`);
console.log('  modules in the bundle (minified bytes):');
for (const { file, bytes } of inputs) console.log(`    ${String(bytes).padStart(6)}  ${file}`);

let failed = false;
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
