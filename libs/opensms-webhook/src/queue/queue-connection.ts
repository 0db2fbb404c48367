import { Socket } from 'node:net';
import { type BackendFactory, type ConnectionOptions, createPostgresBackend, createRedisBackend } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { Client, type ClientConfig } from 'pg';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';

/** Who uses a queue connection: the relay (fail fast, it retries by itself) or the worker (wait forever). */
export type QueueConnectionRole = 'relay' | 'worker';

/**
 * A queue connection owned by one of this module's queue clients, with the BullMQ backend it
 * belongs to. The backend is passed to each `Queue` / `Worker` explicitly: BullMQ's process-wide
 * default (and with it every queue of the host) is left alone.
 *
 * On Redis the connection is an ioredis client (a `Cluster` with `queue.cluster`) that BullMQ
 * treats as shared, so BullMQ never waits on it at close (a graceful QUIT would wait for Redis
 * forever while it is unreachable); `disconnect()` drops it at once. On PostgreSQL it is plain
 * options and BullMQ owns the pool, whose graceful end waits for every query in flight: the sockets
 * of its connections are made here, so that `disconnect()` can destroy them when the server does
 * not answer.
 */
export class OwnedQueueConnection {
  readonly connection: ConnectionOptions;
  readonly backend: BackendFactory;
  private readonly client?: Redis | Cluster;
  private failure?: Error;
  private readonly sockets = new Set<Socket>();

  constructor(options: ResolvedOpenSmsWebhookOptions, role: QueueConnectionRole) {
    if (options.queue.backend === 'postgres') {
      this.backend = createPostgresBackend as unknown as BackendFactory;
      const stream = () => this.track(new Socket());
      this.connection = { ...options.queue.postgres, stream, Client: QueueBackendClient, migrate: true } as ConnectionOptions;
      return;
    }
    this.backend = createRedisBackend;
    const roleOptions = REDIS_ROLE_OPTIONS[role];
    const { cluster } = options.queue;
    this.client = cluster
      ? new Cluster(cluster.nodes, {
          ...cluster.options,
          enableOfflineQueue: roleOptions.enableOfflineQueue,
          redisOptions: { ...cluster.options?.redisOptions, ...roleOptions },
        })
      : new Redis({ ...options.queue.connection, ...roleOptions });
    // NOTE: BullMQ reports this client's errors through the queue's or worker's 'error' event.
    this.client.on('error', (error: Error) => (this.failure = error));
    this.client.on('ready', () => (this.failure = undefined));
    this.connection = this.client as unknown as ConnectionOptions;
  }

  /**
   * Why the connection is not up, while it is not: its last error since it was last ready (a
   * refused connection, a TLS certificate this process does not trust, …). A command waits for
   * the connection meanwhile, so a bound on it explains its timeout with this.
   */
  get lastError(): Error | undefined {
    return this.failure;
  }

  /** Drops the connection at once: the Redis client, or every socket of the PostgreSQL backend. */
  disconnect(): void {
    this.client?.disconnect();
    for (const socket of this.sockets) socket.destroy();
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }
}

/**
 * A pooled client of the PostgreSQL backend. A client BullMQ has checked out has no `error` listener, so a
 * connection lost meanwhile (a cut on shutdown, a server restart) would crash the process; the error
 * still fails the query that meets it.
 */
class QueueBackendClient extends Client {
  constructor(config?: ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/**
 * Relay: fail fast (the events stay stored and unqueued; the relay tries again). Worker: BullMQ's
 * production settings (wait for Redis, never fail a command). Both: a socket that never connected
 * is dropped at once on shutdown (ioredis would keep the process alive for its 2 s default).
 */
const REDIS_ROLE_OPTIONS: Record<QueueConnectionRole, RedisOptions> = {
  relay: { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 200 },
  worker: { maxRetriesPerRequest: null, disconnectTimeout: 200 },
};
