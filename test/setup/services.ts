// Vitest global setup: real PostgreSQL and Redis servers (and a Redis Cluster, and MariaDB) for test/adapters.
//
// - MFAKIT_PG_URL and MFAKIT_REDIS_URL set: use those servers as they are.
// - Otherwise, when the binaries are installed: start throwaway servers with
//   scripts/services.sh on free loopback ports in a private directory (so two
//   test runs never share or stop each other's servers) and stop them at teardown.
// - Otherwise: with CI set, fail the run; without it, the real-server suites
//   skip and say why.
// When the run is filtered to files outside test/adapters, nothing is started.
// MariaDB likewise: MFAKIT_MYSQL_URL, else the throwaway server when `mariadbd`
// is installed, else skipped with a reason (a failure under CI).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL URL, or '' when no server is available. */
    pgUrl: string;
    /** Redis URL, or '' when no server is available. */
    redisUrl: string;
    /** Node URLs of a 3-master Redis Cluster, comma-separated, or '' when none is available. */
    redisClusterNodes: string;
    /** Why the servers are missing, when they are. */
    servicesSkipReason: string;
    /** PgBouncer (transaction pooling) in front of `pgUrl`'s server, or '' when not available. */
    pgbouncerUrl: string;
    /** MySQL/MariaDB URL (`mysql://…/database`), or '' when no server is available. */
    mysqlUrl: string;
    /** Why the MySQL/MariaDB suites skip, when they do. */
    mysqlSkipReason: string;
  }
}

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/services.sh');

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  providePgbouncer(project, null);
  provideMysql(project, null, 'the run does not include test/adapters');
  const provide = (pgUrl: string, redisUrl: string, reason: string): void => {
    project.provide('pgUrl', pgUrl);
    project.provide('redisUrl', redisUrl);
    project.provide('servicesSkipReason', reason);
  };

  const envPg = process.env.MFAKIT_PG_URL ?? '';
  const envRedis = process.env.MFAKIT_REDIS_URL ?? '';
  project.provide('redisClusterNodes', process.env.MFAKIT_REDIS_CLUSTER_NODES ?? '');
  if (envPg !== '' && envRedis !== '') {
    provide(envPg, envRedis, '');
    // Nothing is started for servers given in the environment, so MariaDB must be given too.
    if (process.env.CI && !process.env.MFAKIT_MYSQL_URL && runsAdapterTests(project)) {
      throw new Error('CI is set, so the MySQL/MariaDB adapter tests may not skip: MFAKIT_PG_URL and MFAKIT_REDIS_URL are set, MFAKIT_MYSQL_URL is not');
    }
    provideMysql(project, null, 'MFAKIT_PG_URL and MFAKIT_REDIS_URL are set, so no server was started');
    return undefined;
  }

  if (!runsAdapterTests(project)) {
    provide('', '', 'the run does not include test/adapters');
    return undefined;
  }

  const missing = missingBinaries();
  if (missing !== null) {
    const hint = 'set MFAKIT_PG_URL and MFAKIT_REDIS_URL or install the servers';
    if (process.env.CI) throw new Error(`CI is set, so the real-server adapter tests may not skip: ${missing}; ${hint}`);
    const reason = `real-server adapter tests skipped: ${missing}; ${hint}`;
    process.stderr.write(`\n[mfakit] ${reason}\n\n`);
    provide('', '', reason);
    provideMysql(project, null, missing);
    return undefined;
  }

  const dir = mkdtempSync(join(tmpdir(), 'mfakit-services-'));
  const cluster = await distinctFreePorts(6);
  const env = {
    ...process.env,
    MFAKIT_SERVICES_DIR: dir,
    MFAKIT_PG_PORT: String(await freePort()),
    MFAKIT_REDIS_PORT: String(await freePort()),
    MFAKIT_REDIS_CLUSTER_PORTS: cluster.slice(0, 3).join(','),
    MFAKIT_REDIS_CLUSTER_BUS_PORTS: cluster.slice(3).join(','),
    MFAKIT_PGBOUNCER_PORT: String(await freePort()),
    MFAKIT_MYSQL_PORT: String(await freePort()),
    // Stops the servers if this process dies before teardown.
    MFAKIT_SERVICES_OWNER_PID: String(process.pid),
  };
  const stop = async (): Promise<void> => {
    await run(SCRIPT, ['stop'], { env }).catch((err: unknown) => process.stderr.write(`[mfakit] services.sh stop failed: ${String(err)}\n`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run(SCRIPT, ['start'], { env, timeout: 120_000 });
  } catch (err) {
    await stop();
    const out = err as { stderr?: string; message?: string };
    throw new Error(`scripts/services.sh start failed: ${out.stderr || out.message}`);
  }
  const vars = parseEnv(readFileSync(join(dir, 'services.env'), 'utf8'));
  // A URL given in the environment wins over the throwaway server of the same kind.
  provide(envPg || (vars.MFAKIT_PG_URL ?? ''), envRedis || (vars.MFAKIT_REDIS_URL ?? ''), '');
  project.provide('redisClusterNodes', process.env.MFAKIT_REDIS_CLUSTER_NODES || (vars.MFAKIT_REDIS_CLUSTER_NODES ?? ''));
  providePgbouncer(project, vars);
  provideMysql(project, vars, mysqlMissing());
  return stop;
}

/**
 * `mysqlUrl`: MFAKIT_MYSQL_URL when set, else the throwaway MariaDB that
 * services.sh started, else '' with the reason (`missing`), which fails a CI run.
 */
function provideMysql(project: TestProject, vars: Record<string, string> | null, missing: string | null): void {
  const url = process.env.MFAKIT_MYSQL_URL || (vars?.MFAKIT_MYSQL_URL ?? '');
  const reason = url !== '' ? '' : `MySQL/MariaDB adapter tests skipped: ${missing ?? 'no server was started'}; set MFAKIT_MYSQL_URL or install mariadb-server`;
  if (url === '' && vars !== null && process.env.CI) throw new Error(`CI is set, so the MySQL/MariaDB adapter tests may not skip: ${reason}`);
  if (url === '' && vars !== null) process.stderr.write(`\n[mfakit] ${reason}\n\n`);
  project.provide('mysqlUrl', url);
  project.provide('mysqlSkipReason', reason);
}

function mysqlMissing(): string | null {
  if (process.env.MFAKIT_MYSQL_URL) return null;
  const paths = [...(process.env.PATH ?? '').split(':'), '/usr/sbin'];
  return paths.some((p) => p !== '' && existsSync(join(p, 'mariadbd'))) ? null : 'mariadbd not found on PATH or in /usr/sbin';
}

/**
 * `pgbouncerUrl`: MFAKIT_PGBOUNCER_URL when set, else the throwaway PgBouncer
 * that services.sh started (when `pgbouncer` is installed), else ''.
 */
function providePgbouncer(project: TestProject, vars: Record<string, string> | null): void {
  project.provide('pgbouncerUrl', process.env.MFAKIT_PGBOUNCER_URL || (vars?.MFAKIT_PGBOUNCER_URL ?? ''));
}

/** True unless the command line names test files and none is under test/adapters. */
function runsAdapterTests(project: TestProject): boolean {
  // `filenamePattern` holds the CLI file filters; an unknown shape means "assume yes".
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  if (!Array.isArray(filters) || filters.length === 0) return true;
  const files = readdirSync(join(ROOT, 'test/adapters')).map((f) => `test/adapters/${f}`);
  // Vitest matches filters as substrings of the file path.
  return filters.some((f) => typeof f === 'string' && (f.includes('test/adapters') || files.some((file) => file.includes(f))));
}

function missingBinaries(): string | null {
  const pgBin = process.env.MFAKIT_PG_BIN ?? newestPgBin();
  if (pgBin === null || !existsSync(join(pgBin, 'pg_ctl'))) return 'PostgreSQL binaries not found (/usr/lib/postgresql/*/bin or MFAKIT_PG_BIN)';
  const paths = (process.env.PATH ?? '').split(':');
  if (!paths.some((p) => p !== '' && existsSync(join(p, 'redis-server')))) return 'redis-server not found on PATH';
  return null;
}

function newestPgBin(): string | null {
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return versions[0] === undefined ? null : `/usr/lib/postgresql/${versions[0]}/bin`;
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** `n` free ports, all different: the cluster's nodes and their bus ports. */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}
