import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server';
import { TEST_DATABASE_URL } from './test-database';

/** Where Debian, Homebrew and source builds put the binary (Debian's /usr/sbin is not on a user's PATH). */
const PGBOUNCER_LOCATIONS = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer'];

/** Server connections per database and user: small, so that the test apps' pools share a few server connections. */
export const PGBOUNCER_POOL_SIZE = 4;

/**
 * The `pgbouncer` binary: `PGBOUNCER` when set, else one found on the PATH or where packages put
 * it. When there is none and this runs as root with apt-get, it is installed (as `.ci/run` does
 * for Chromium); otherwise the error says how to get one.
 */
export function pgbouncerBinary(): string {
  const found = findPgBouncer();
  if (found) return found;
  const canInstall = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (canInstall) {
    const install = () =>
      spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'pgbouncer'], {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      }).status === 0;
    if (!install()) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit' });
      install();
    }
    const installed = findPgBouncer();
    if (installed) return installed;
  }
  throw new Error(
    'The PgBouncer spec needs the pgbouncer binary, and there is none on this machine' +
      (canInstall ? ' (apt-get install -y pgbouncer failed)' : '') +
      '. Install it (apt-get install pgbouncer, brew install pgbouncer) or set PGBOUNCER to its path, then run the tests again.',
  );
}

function findPgBouncer(): string | undefined {
  const given = process.env.PGBOUNCER;
  if (given) return given;
  const onPath = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).stdout.trim();
  return onPath || PGBOUNCER_LOCATIONS.find((location) => existsSync(location));
}

/**
 * A private PgBouncer in transaction pooling mode in front of the test PostgreSQL, on a free port,
 * with its configuration and user list in a temporary folder (trust auth, as the test server).
 * Every database name of the test server is served under the same name. Stop it in afterAll:
 * {@link stop} also removes its folder.
 */
export class PgBouncerProcess {
  private process?: ChildProcess;
  private output = '';
  private readonly folder: string;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {
    this.folder = mkdtempSync(path.join(os.tmpdir(), 'opensms-test-pgbouncer-'));
    this.writeConfig();
  }

  /** Starts a PgBouncer on a free port (installing the binary when missing, see {@link pgbouncerBinary}). */
  static async start(): Promise<PgBouncerProcess> {
    const pgbouncer = new PgBouncerProcess(pgbouncerBinary(), await freePort());
    try {
      await pgbouncer.run();
    } catch (error) {
      await pgbouncer.stop();
      throw error;
    }
    return pgbouncer;
  }

  /** `TEST_DATABASE_URL`, through this PgBouncer. */
  get url(): string {
    const url = new URL(TEST_DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** Kills PgBouncer (SIGKILL, as a crash: every client and server connection through it drops) and starts it again on its port. */
  async restart(): Promise<void> {
    await this.kill();
    await this.run();
  }

  /** Stops PgBouncer and removes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.folder, { recursive: true, force: true });
  }

  private async run(): Promise<void> {
    this.output = '';
    const child = spawn(this.binary, [path.join(this.folder, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.process = child;
    const deadline = Date.now() + 10_000;
    while (!(await this.answers())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await this.kill();
        throw new Error(`pgbouncer on port ${this.port} did not start:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async kill(): Promise<void> {
    const running = this.process;
    if (!running) return;
    this.process = undefined;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  /** Whether PgBouncer accepts TCP connections on its port. */
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: this.port });
      const done = (answer: boolean) => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => done(true));
    });
  }

  private writeConfig(): void {
    const server = new URL(TEST_DATABASE_URL);
    const user = decodeURIComponent(server.username || 'postgres');
    const password = decodeURIComponent(server.password);
    const quoted = (value: string) => `"${value.replace(/"/g, '""')}"`;
    writeFileSync(path.join(this.folder, 'userlist.txt'), `${quoted(user)} ${quoted(password)}\n`);
    writeFileSync(
      path.join(this.folder, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${server.hostname} port=${server.port || 5432}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${this.port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${path.join(this.folder, 'userlist.txt')}`,
        'pool_mode = transaction',
        'max_client_conn = 200',
        `default_pool_size = ${PGBOUNCER_POOL_SIZE}`,
        'reserve_pool_size = 0',
        // NOTE: no `options`: a client that needs a startup `-c search_path` is refused instead of silently
        // running in another schema (BullMQ's PostgreSQL backend, see docs/operations.md).
        'ignore_startup_parameters = extra_float_digits',
        'server_reset_query =',
        'log_connections = 0',
        'log_disconnections = 0',
        // PgBouncer refuses to run as root; it switches to this account, which must read the folder.
        ...(process.getuid?.() === 0 ? [`user = ${pgbouncerAccount()}`] : []),
      ].join('\n') + '\n',
    );
    chmodSync(this.folder, 0o755);
  }
}

/** The account PgBouncer runs as when started by root: `postgres` (Debian's package and the embedded server create it), else `nobody`. */
function pgbouncerAccount(): string {
  return spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status === 0 ? 'postgres' : 'nobody';
}
