import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    qr: 'src/qr.ts',
    algorithms: 'src/algorithms.ts',
    testing: 'src/testing/index.ts',
    postgres: 'src/adapters/postgres.ts',
    redis: 'src/adapters/redis.ts',
    webauthn: 'src/webauthn.ts',
    mysql: 'src/adapters/mysql.ts',
  },
  dts: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
};

export default defineConfig([
  {
    ...shared,
    format: ['esm'],
    clean: true,
    splitting: true,
    // Ships the Postgres and MySQL schemas for hosts that run their own migrations, written
    // from the built adapters so the files and `store.migrate()` cannot drift apart.
    onSuccess: async () => {
      const { postgresSchemaSql } = await import(pathToFileURL(resolve('dist/postgres.js')).href);
      await writeFile('dist/postgres-schema.sql', postgresSchemaSql());
      const { mysqlSchemaSql } = await import(pathToFileURL(resolve('dist/mysql.js')).href);
      await writeFile('dist/mysql-schema.sql', mysqlSchemaSql());
    },
  },
  {
    ...shared,
    format: ['cjs'],
    // @noble/hashes v2 and base32-encode ship ESM only. Inlining them keeps
    // `require('mfakit')` working in runtimes without require(esm) (older Node, Jest).
    noExternal: [/^@noble\/hashes/, 'base32-encode', 'to-data-view'],
    outExtension: () => ({ js: '.cjs' }),
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
