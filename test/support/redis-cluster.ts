import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, RedisServerProcess } from './redis-server';

const run = promisify(execFile);

/**
 * A private Redis Cluster of three primaries (no replicas) on free ports, its node files in a
 * folder of its own. Stop it in afterAll: that ends every node and removes the folder.
 */
export class RedisClusterProcess {
  private constructor(
    private readonly folder: string,
    private readonly servers: RedisServerProcess[],
  ) {}

  /** The nodes, as `queue.cluster.nodes` takes them. */
  get nodes(): { host: string; port: number }[] {
    return this.servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  }

  /** Starts the nodes, joins them into one cluster and waits until every node reports `cluster_state:ok`. */
  static async start(size = 3): Promise<RedisClusterProcess> {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'opensms-redis-cluster-'));
    const servers: RedisServerProcess[] = [];
    const cluster = new RedisClusterProcess(folder, servers);
    try {
      for (let node = 0; node < size; node++) {
        const port = await clusterPort(servers.map((server) => server.port));
        const args = ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(folder, `nodes-${port}.conf`), '--dir', folder];
        servers.push(new RedisServerProcess(port, { args }));
      }
      await Promise.all(servers.map((server) => server.start()));
      const addresses = cluster.nodes.map(({ host, port }) => `${host}:${port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
      await cluster.waitUntilOk();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Ends every node and removes the cluster's folder. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
    rmSync(this.folder, { recursive: true, force: true });
  }

  private async waitUntilOk(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(
        this.servers.map(async ({ port }) => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout),
      );
      if (states.every((info) => info.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error(`The Redis Cluster did not reach cluster_state:ok within 20 s:\n${states.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A free port whose cluster bus port (port + 10000) is free too, and not one of `taken`. */
async function clusterPort(taken: readonly number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && !taken.includes(port) && (await isFree(port + 10_000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
