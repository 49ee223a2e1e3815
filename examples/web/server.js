// npm run demo: starts the reference app (see README.md beside this file).
import { join } from 'node:path';
import { startApp } from './app.js';

const { url } = await startApp({
  dataDir: process.env.DATA_DIR ?? join(import.meta.dirname, '.data'),
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? '127.0.0.1',
});
console.log(`mfakit demo listening on ${url}`);
