// A free TCP port on loopback, for the throwaway servers the benchmarks start.
import { createServer } from 'node:net';

/** @returns {Promise<number>} a port nothing listens on at the moment of asking */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
