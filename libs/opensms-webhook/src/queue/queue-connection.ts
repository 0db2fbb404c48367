import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type BackendFactory,
  type ConnectionOptions,
  createPostgresBackend,
  getDefaultBackendFactory,
  setDefaultBackendFactory,
} from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';

/** Who uses a queue connection: the request path (fail fast) or the worker (retry forever). */
export type QueueConnectionRole = 'producer' | 'worker';

/** A PostgreSQL queue connection is a node-postgres config carrying a `connectionString`. */
function isPostgresConnection(connection: unknown): boolean {
  return typeof connection === 'object' && connection !== null && 'connectionString' in connection;
}

let backendRoutingInstalled = false;

/**
 * BullMQ picks a backend per queue from a process-wide default factory, and @nestjs/bullmq builds
 * the worker with that default. This routes connections of the PostgreSQL form to BullMQ's
 * PostgreSQL backend and leaves every other connection (the host's own Redis queues included) to
 * the previous default.
 */
function installBackendRouting(): void {
  if (backendRoutingInstalled) return;
  backendRoutingInstalled = true;
  const previous = getDefaultBackendFactory();
  const routed: BackendFactory = (name, opts, factoryOptions) =>
    isPostgresConnection(opts.connection)
      ? (createPostgresBackend as unknown as BackendFactory)(name, opts, factoryOptions)
      : previous(name, opts, factoryOptions);
  setDefaultBackendFactory(routed);
}

/**
 * A queue connection owned by this module. On Redis it is an ioredis client that BullMQ treats as
 * shared, so BullMQ never waits on it at close (a graceful QUIT would wait for Redis forever while
 * it is unreachable); `disconnect()` drops it at once. On PostgreSQL it is plain options.
 */
export class OwnedQueueConnection {
  readonly connection: ConnectionOptions;
  private readonly client?: Redis;

  constructor(options: ResolvedOpenSmsWebhookOptions, role: QueueConnectionRole) {
    if (options.queueBackend === 'postgres') {
      installBackendRouting();
      this.connection = { ...options.postgresQueue, migrate: true } as ConnectionOptions;
      return;
    }
    this.client = new Redis({ ...(options.redis as RedisOptions), ...REDIS_ROLE_OPTIONS[role] });
    // NOTE: BullMQ reports this client's errors through the queue's or worker's 'error' event.
    this.client.on('error', () => undefined);
    this.connection = this.client as unknown as ConnectionOptions;
  }

  disconnect(): void {
    this.client?.disconnect();
  }
}

/**
 * Request path: fail fast. Worker: BullMQ's production settings (wait for Redis, never fail a
 * command). Both: a socket that never connected is dropped at once on shutdown (ioredis would
 * keep the process alive for its 2 s default).
 */
const REDIS_ROLE_OPTIONS: Record<QueueConnectionRole, RedisOptions> = {
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 200 },
  worker: { maxRetriesPerRequest: null, disconnectTimeout: 200 },
};

/** The worker side's connection, shared by the worker and the queue registration. */
@Injectable()
export class WorkerQueueConnection extends OwnedQueueConnection implements OnApplicationShutdown {
  constructor(@Inject(OPENSMS_RESOLVED_OPTIONS) options: ResolvedOpenSmsWebhookOptions) {
    super(options, 'worker');
  }

  onApplicationShutdown(): void {
    this.disconnect();
  }
}
