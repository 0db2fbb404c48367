import {
  type BackendFactory,
  type ConnectionOptions,
  createPostgresBackend,
  getDefaultBackendFactory,
  setDefaultBackendFactory,
} from 'bullmq';
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

/** Connection options of the inbox queue for one role, on the configured backend. */
export function queueConnection(options: ResolvedOpenSmsWebhookOptions, role: QueueConnectionRole): ConnectionOptions {
  if (options.queueBackend === 'postgres') {
    installBackendRouting();
    return { ...options.postgresQueue, migrate: true } as ConnectionOptions;
  }
  return role === 'producer'
    ? { ...options.redis, enableOfflineQueue: false, maxRetriesPerRequest: 1 }
    : { ...options.redis, maxRetriesPerRequest: null };
}
