import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ServerUnreachableError } from '../errors/server-unreachable.error';
import { SmsEventHandlerRunEntity } from '../inbox/sms-event-handler-run.entity';
import { SmsEventEntity } from '../inbox/sms-event.entity';
import { SmsEventLifecycle } from '../inbox/sms-event.lifecycle';
import { SmsEventQueries } from '../inbox/sms-event.queries';
import { SmsEventTables } from '../inbox/sms-event.tables';
import { OpenSmsWebhookService } from '../opensms-webhook.service';
import { resolveOpenSmsWebhookOptions } from '../opensms-webhook.options';
import { redisOptionsFromUrl } from '../queue/redis-url';
import { SmsEventProducer } from '../queue/sms-event.producer';

/** Where the inbox and its queue live. */
export interface InboxConnection {
  /** PostgreSQL URL of the host's database. */
  databaseUrl: string;
  /** Schema of the inbox tables. @default the database's default (`public`) */
  schema?: string;
  /** Redis URL of the queue (`redis://` or `rediss://`). @default 'redis://127.0.0.1:6379' */
  redisUrl?: string;
  /** BullMQ key prefix. @default 'bull' */
  queuePrefix?: string;
  /** BullMQ queue name. @default 'opensms-webhooks' */
  queueName?: string;
}

/** The inbox as the command line sees it: its queries, and the service once the queue is needed. */
export interface CliInbox {
  readonly queries: SmsEventQueries;
  /** Connects to Redis (refusing at once when it does not answer) and returns the service. */
  service(): Promise<OpenSmsWebhookService>;
}

/** How long the command line waits for a server before it gives up. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Runs `work` on the inbox over a DataSource of its own, without the module: no HTTP route, no
 * worker, no secret. Replayed events are processed by the application's own workers. A server
 * that does not answer fails within {@link CONNECT_TIMEOUT_MS}, naming it (never its password).
 */
export async function withInbox<T>(connection: InboxConnection, work: (inbox: CliInbox) => Promise<T>): Promise<T> {
  const dataSource = await connectToDatabase(connection);
  const tables = new SmsEventTables(dataSource);
  const queries = new SmsEventQueries(tables);
  let producer: SmsEventProducer | undefined;
  const inbox: CliInbox = {
    queries,
    service: async () => {
      const redis = await connectableRedis(connection.redisUrl ?? 'redis://127.0.0.1:6379');
      const options = resolveOpenSmsWebhookOptions(
        { redis, queuePrefix: connection.queuePrefix },
        { mode: 'worker', queueName: connection.queueName },
      );
      producer ??= new SmsEventProducer(options);
      return new OpenSmsWebhookService(queries, new SmsEventLifecycle(tables), producer);
    },
  };
  try {
    return await work(inbox);
  } finally {
    await producer?.onApplicationShutdown();
    await dataSource.destroy();
  }
}

async function connectToDatabase(connection: InboxConnection): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: connection.databaseUrl,
    schema: connection.schema,
    entities: [SmsEventEntity, SmsEventHandlerRunEntity],
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    extra: { max: 2 },
  });
  try {
    return await dataSource.initialize();
  } catch (error) {
    throw new ServerUnreachableError('PostgreSQL', describeUrl(connection.databaseUrl), reason(error));
  }
}

/**
 * ioredis options of the URL that fail instead of retrying, once Redis answered a PING with them:
 * a replay must not reopen events that it then cannot enqueue.
 */
async function connectableRedis(url: string): Promise<RedisOptions> {
  const options: RedisOptions = {
    ...redisOptionsFromUrl(url),
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: () => null,
  };
  const probe = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  // NOTE: the first error says why (refused, TLS, WRONGPASS); the rejection only that it closed.
  let cause: unknown;
  probe.on('error', (error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
    return options;
  } catch (error) {
    throw new ServerUnreachableError('Redis', describeUrl(url), reason(cause ?? error));
  } finally {
    probe.disconnect();
  }
}

/** `scheme://host:port/path` of a URL, without its user name and password. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the given URL (not a valid URL)';
  }
}

function reason(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return (message || code || String(error)).replace(/\.$/, '');
}
