import { ServerUnreachableError } from '../errors/server-unreachable.error';
import { tlsCertificateProblem } from '../internal/tls-certificate';
import { withTimeout } from '../internal/with-timeout';
import type { OpenSmsWebhookQueueOptions } from '../opensms-webhook-options.interface';
import { DEFAULT_MODULE_EXTRAS, resolveOpenSmsWebhookOptions } from '../opensms-webhook.options';
import { redisOptionsFromUrl } from '../queue/redis-url';
import { SmsEventProducer } from '../queue/sms-event.producer';
import { CONNECT_TIMEOUT_MS, reason } from './inbox.command';
import { describeUrl } from './url';

/** Where the application's queue lives: the same backend, prefix and name as its module options. */
export type QueueLocation =
  | {
      backend: 'redis';
      /** `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS); with `cluster`, one node of the cluster. */
      redisUrl: string;
      /** The Redis URL names a node of a Redis Cluster (`queue.cluster`). @default false */
      cluster?: boolean;
      /** PEM of the CA that signed the server's certificate (`tls: { ca }`), trusted next to Node's own. */
      ca?: string | Buffer;
      /** BullMQ key prefix (`queue.prefix`). @default 'bull' */
      prefix?: string;
      /** @default 'opensms-webhooks' */
      queueName?: string;
    }
  | {
      backend: 'postgres';
      /** PostgreSQL URL of the jobs (`queue.postgres.connectionString`). */
      databaseUrl: string;
      /** Schema of the jobs (`queue.postgres.schema`). @default 'bullmq' */
      schema?: string;
      /** @default 'opensms-webhooks' */
      queueName?: string;
    };

/** The queue as the command line sees it: pausing and resuming every worker on it. */
export interface CliQueue {
  pause(): Promise<void>;
  resume(): Promise<void>;
  isPaused(): Promise<boolean>;
}

/**
 * Runs `work` on the application's queue through a client of its own (the module's producer,
 * without the module). Pausing is stored in the queue, so every worker of every process sees it. A
 * server that does not answer fails within {@link CONNECT_TIMEOUT_MS}, naming it (never its password).
 */
export async function withQueue<T>(location: QueueLocation, work: (queue: CliQueue) => Promise<T>): Promise<T> {
  const producer = new SmsEventProducer(
    resolveOpenSmsWebhookOptions(
      location.backend === 'redis'
        ? { queue: redisQueueOptions(location) }
        : { queue: { backend: 'postgres', postgres: { connectionString: location.databaseUrl, schema: location.schema, max: 2 } } },
      { mode: 'worker', queueName: location.queueName ?? DEFAULT_MODULE_EXTRAS.queueName },
    ),
  );
  // NOTE: the calls that meet a connection error throw it; the queue's 'error' events say it again.
  producer.onError(() => undefined);
  const server = location.backend === 'redis' ? 'Redis' : 'PostgreSQL';
  const where = describeUrl(location.backend === 'redis' ? location.redisUrl : location.databaseUrl);
  try {
    try {
      await withTimeout(producer.isPaused(), CONNECT_TIMEOUT_MS, `no answer within ${CONNECT_TIMEOUT_MS} ms`);
    } catch (error) {
      const cause = producer.connectionError ?? error;
      const certificate = tlsCertificateProblem(cause);
      const fix =
        certificate && `: ${certificate}; trust the CA that signed it with --redis-ca <CA file> (or NODE_EXTRA_CA_CERTS=<CA file>)`;
      throw new ServerUnreachableError(server, where, `${reason(cause)}${fix ?? ''}`);
    }
    return await work(producer);
  } finally {
    await producer.onApplicationShutdown();
  }
}

/** The module's queue options of a Redis location: one server, or one node of a cluster; TLS with the given CA. */
function redisQueueOptions(location: Extract<QueueLocation, { backend: 'redis' }>): OpenSmsWebhookQueueOptions {
  const { host, port, ...connection } = redisOptionsFromUrl(location.redisUrl);
  if (location.ca !== undefined) connection.tls = { ...connection.tls, ca: location.ca };
  if (!location.cluster) return { connection: { host, port, ...connection }, prefix: location.prefix };
  // NOTE: each node's certificate is checked against that node's own host, not the one of the URL.
  const { servername: _urlHost, ...tls } = (connection.tls ?? {}) as { servername?: string };
  const redisOptions = connection.tls === undefined ? connection : { ...connection, tls };
  return { cluster: { nodes: [{ host, port }], options: { redisOptions } }, prefix: location.prefix };
}
