import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresServer } from '../src/dev-database/embedded-postgres.server';
import { freePort, startRedisServer } from '../test/support/redis-server';

/** Database of the bench on a server of its own. */
const BENCH_DATABASE = 'bench';
/** Where Debian's `postgresql-NN` packages install their binaries, one folder per major version. */
const DEBIAN_POSTGRES = '/usr/lib/postgresql';
/** Superuser of a cluster the bench initialises (`trust` on 127.0.0.1 only). */
const SUPERUSER = 'postgres';
/** The account PostgreSQL runs under when the bench runs as root (PostgreSQL refuses root). */
const SERVICE_ACCOUNT = 'postgres';
/** `application_name` of every connection of the bench and its apps (`PGAPPNAME`, which node-postgres reads). */
export const BENCH_APPLICATION_NAME = 'opensms-bench';

/** The PostgreSQL and Redis of one run. */
export interface BenchServers {
  /** The bench's database. */
  databaseUrl: string;
  /** Another database of the same server, from which the counts are read (see cost-counter.ts). */
  maintenanceUrl: string;
  redis: { host: string; port: number };
  /** Servers given by `BENCH_DATABASE_URL` / `BENCH_REDIS_*`, which others may use meanwhile. */
  shared: { postgres: boolean; redis: boolean };
  /** Where they come from, one line for the report. */
  description: string;
  /** Stops the servers the bench started and removes their data; idempotent. */
  stop(): Promise<void>;
}

/** A server the bench started. */
interface OwnServer {
  /** Of its `postgres` database. */
  url: string;
  description: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL and Redis for the run. By default servers of the bench's own, so that nothing else
 * adds to what it counts: PostgreSQL from Debian's binaries, or else from the `embedded-postgres`
 * package, in a fresh temporary folder, with `pg_stat_statements` preloaded and otherwise default
 * settings; `redis-server` on a free port. `BENCH_DATABASE_URL` or `BENCH_REDIS_HOST` / `BENCH_REDIS_PORT`
 * name existing servers instead. Points this process and the apps it forks at them (the
 * environment `BENCH` reads) and names every PostgreSQL connection `opensms-bench`.
 */
export async function startBenchServers(): Promise<BenchServers> {
  const stops: (() => Promise<void>)[] = [];
  const stop = once(async () => {
    await Promise.all(stops.map((stopServer) => stopServer().catch(() => undefined)));
  });
  try {
    const sharedDatabaseUrl = process.env.BENCH_DATABASE_URL;
    const sharedRedis = process.env.BENCH_REDIS_HOST !== undefined || process.env.BENCH_REDIS_PORT !== undefined;
    let databaseUrl = sharedDatabaseUrl;
    let postgresFrom = 'PostgreSQL at BENCH_DATABASE_URL (shared)';
    if (!databaseUrl) {
      const postgres = await startOwnPostgres();
      stops.push(postgres.stop);
      databaseUrl = await createDatabase(postgres.url, BENCH_DATABASE);
      postgresFrom = `${postgres.description}, started for the run`;
    }
    let redis = { host: process.env.BENCH_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT ?? 6379) };
    let redisFrom = 'Redis at BENCH_REDIS_HOST / BENCH_REDIS_PORT (shared)';
    if (!sharedRedis) {
      const server = await startRedisServer();
      stops.push(() => server.stop());
      redis = { host: '127.0.0.1', port: server.port };
      redisFrom = 'redis-server, started for the run';
    }
    Object.assign(process.env, {
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_REDIS_HOST: redis.host,
      BENCH_REDIS_PORT: String(redis.port),
      PGAPPNAME: BENCH_APPLICATION_NAME,
    });
    return {
      databaseUrl,
      maintenanceUrl: withDatabase(databaseUrl, 'postgres'),
      redis,
      shared: { postgres: sharedDatabaseUrl !== undefined, redis: sharedRedis },
      description: `${postgresFrom}; ${redisFrom}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Debian's PostgreSQL when installed, else the one of the `embedded-postgres` package. */
function startOwnPostgres(): Promise<OwnServer> {
  const binaries = debianBinaries();
  return binaries ? startDebianPostgres(binaries) : startEmbeddedPostgres();
}

/** `bin/` of the newest major version under /usr/lib/postgresql that has `initdb`. */
function debianBinaries(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES)) return undefined;
  const newest = readdirSync(DEBIAN_POSTGRES)
    .filter((version) => existsSync(path.join(DEBIAN_POSTGRES, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : path.join(DEBIAN_POSTGRES, newest, 'bin');
}

/** `initdb` in a fresh temporary folder, then `postgres` on a free port of 127.0.0.1 (as `postgres` when root). */
async function startDebianPostgres(binaries: string): Promise<OwnServer> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'opensms-bench-postgres-'));
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  try {
    const account = serviceAccount();
    if (account) chownSync(folder, account.uid, account.gid);
    const dataDir = path.join(folder, 'data');
    execFileSync(
      path.join(binaries, 'initdb'),
      ['-D', dataDir, `--username=${SUPERUSER}`, '--auth=trust', '--encoding=UTF8', '--no-locale'],
      // NOTE: the C locale explicitly: the machine may have no UTF-8 locale at all.
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, ...account },
    );
    const port = await freePort();
    const logFile = path.join(folder, 'postgres.log');
    const log = openSync(logFile, 'a');
    // NOTE: its own process group: a Ctrl-C reaches the bench, which stops the apps before the database.
    const postmaster = spawn(
      path.join(binaries, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'shared_preload_libraries=pg_stat_statements',
      ],
      { detached: true, stdio: ['ignore', log, log], ...account },
    );
    closeSync(log);
    const stop = once(async () => {
      await stopPostmaster(postmaster);
      removeFolder();
    });
    const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
    try {
      await waitForPostgres(url, postmaster, logFile);
    } catch (error) {
      await stop();
      throw error;
    }
    const version = path.basename(path.dirname(binaries));
    return { url, description: `PostgreSQL ${version} (Debian's binaries)`, stop };
  } catch (error) {
    removeFolder();
    throw error;
  }
}

/**
 * The project's {@link EmbeddedPostgresServer} in a fresh temporary folder. It starts `postgres`
 * with settings of its own, so `pg_stat_statements` (when the package ships it) is preloaded
 * through `ALTER SYSTEM` and a restart on the same folder.
 */
async function startEmbeddedPostgres(): Promise<OwnServer> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'opensms-bench-embedded-'));
  try {
    const first = await EmbeddedPostgresServer.start({ folder });
    try {
      await withClient(first.url, async (client) => {
        const { rowCount } = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'`);
        if (rowCount) await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
      });
    } finally {
      await first.stop();
    }
    const server = await EmbeddedPostgresServer.start({ folder, temporary: true });
    return { url: server.url, description: 'PostgreSQL of the embedded-postgres package', stop: () => server.stop() };
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** Under root, the uid and gid of the `postgres` account (Debian's packages create it). */
function serviceAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, SERVICE_ACCOUNT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      `the bench runs as root: PostgreSQL needs an account '${SERVICE_ACCOUNT}' to run under (useradd --system ${SERVICE_ACCOUNT})`,
    );
  }
}

async function waitForPostgres(url: string, postmaster: ChildProcess, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (postmaster.exitCode !== null || postmaster.signalCode !== null || Date.now() > deadline) {
      const log = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`PostgreSQL did not start (${postmaster.exitCode ?? postmaster.signalCode ?? 'timed out'}):\n${log}`);
    }
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Fast shutdown (SIGINT); SIGKILL when it has not stopped within 10 s. */
async function stopPostmaster(postmaster: ChildProcess): Promise<void> {
  if (postmaster.exitCode !== null || postmaster.signalCode !== null) return;
  const exited = new Promise((resolve) => postmaster.once('exit', resolve));
  postmaster.kill('SIGINT');
  const timer = setTimeout(() => postmaster.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Creates database `name` on the server of `url`; resolves to its URL. */
async function createDatabase(url: string, name: string): Promise<string> {
  await withClient(url, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  return withDatabase(url, name);
}

/** `url` with another database. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` on a connection of its own to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `run` once; later calls get the same promise. */
function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= run());
}
