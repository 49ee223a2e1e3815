// Shared by the real-server adapter tests: server URLs from the global setup,
// and a guard for suites that need them.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { inject } from 'vitest';

export const pgUrl = inject('pgUrl');
export const redisUrl = inject('redisUrl');
/** Node URLs of the 3-master Redis Cluster, or [] when there is none. */
export const redisClusterNodes = (inject('redisClusterNodes') ?? '').split(',').filter((u) => u !== '');
/** Why the real-server suites skip, or '' when the servers are there. */
export const skipReason = inject('servicesSkipReason');
/** MySQL/MariaDB URL, or '' (then `mysqlSkipReason` says why). */
export const mysqlUrl = inject('mysqlUrl');
export const mysqlSkipReason = inject('mysqlSkipReason');

export const ROOT = resolve(import.meta.dirname, '../..');

/** Throws a clear error when dist/ has not been built (the worker processes import it). */
export function requireDist(): void {
  for (const f of ['dist/index.js', 'dist/postgres.js', 'dist/redis.js', 'dist/mysql.js']) {
    if (!existsSync(resolve(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before the adapter tests`);
  }
}

/** A prefix unique to this test file run, so files sharing a server never see each other's rows. */
export function uniquePrefix(name: string): string {
  const rand = crypto.getRandomValues(new Uint8Array(4));
  return `${name}_${Array.from(rand, (b) => b.toString(16).padStart(2, '0')).join('')}_`;
}
