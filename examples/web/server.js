// npm run demo: starts the reference app (see README.md beside this file).
import { join } from 'node:path';
import { startApp } from './app.js';

const app = await startApp({
  dataDir: process.env.DATA_DIR ?? join(import.meta.dirname, '.data'),
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? '127.0.0.1',
});
console.log(`mfakit demo: open ${app.origin} (listening on ${app.url})`);

// Close the database cleanly (PGlite writes its files on close).
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}
