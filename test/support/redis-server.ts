import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Redis } from 'ioredis';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** How a {@link RedisServerProcess} runs, besides its port. */
export interface RedisServerSettings {
  /** More `redis-server` arguments, e.g. cluster mode. */
  args?: readonly string[];
  /** Serve TLS only, on the port, with these PEM files (clients are not asked for certificates). */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/**
 * A private `redis-server` on its own port, for tests that stop, flush or restart Redis (never do
 * that to the shared one). No persistence: a restart comes back empty, as after a crash.
 */
export class RedisServerProcess {
  private process?: ChildProcess;

  constructor(
    readonly port: number,
    private readonly settings: RedisServerSettings = {},
  ) {}

  get isRunning(): boolean {
    return this.process !== undefined;
  }

  async start(): Promise<void> {
    if (this.process) return;
    const { tls: files, args = [] } = this.settings;
    const listen = files
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', files.certFile, '--tls-key-file', files.keyFile]
      : ['--port', String(this.port)];
    const trust = files ? ['--tls-ca-cert-file', files.caFile, '--tls-auth-clients', 'no'] : [];
    this.process = spawn(
      'redis-server',
      [...listen, ...trust, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...args],
      { stdio: 'ignore' },
    );
    // NOTE: a loop of its own: test-app.ts (with waitFor) loads Nest, and global-setup.ts uses this file.
    const deadline = Date.now() + 10_000;
    while (!(await this.ping())) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the server (SIGKILL, as a crash); its data is gone. */
  async stop(): Promise<void> {
    const running = this.process;
    if (!running) return;
    this.process = undefined;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async flushAll(): Promise<void> {
    await this.withClient((client) => client.flushall());
  }

  /** Sets a server setting (CONFIG SET), e.g. `maxmemory-policy`. */
  async configSet(name: string, value: string): Promise<void> {
    await this.withClient((client) => client.config('SET', name, value));
  }

  /**
   * Whether the server answers PING. Plain TCP: an ioredis client that was refused keeps the test
   * process alive for a while after it is disconnected.
   */
  private ping(): Promise<boolean> {
    const { tls: files } = this.settings;
    return new Promise((resolve) => {
      const socket = files
        ? tls.connect({ host: '127.0.0.1', port: this.port, ca: readFileSync(files.caFile) })
        : net.connect({ host: '127.0.0.1', port: this.port });
      const done = (answer: boolean) => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once(files ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    });
  }

  private async withClient<T>(work: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({
      host: '127.0.0.1',
      port: this.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      disconnectTimeout: 200,
    });
    try {
      await client.connect();
      return await work(client);
    } finally {
      client.disconnect();
    }
  }
}

/** Starts a {@link RedisServerProcess} on a free port. */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const redis = new RedisServerProcess(await freePort());
  await redis.start();
  return redis;
}
