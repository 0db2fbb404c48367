import { DataSource } from 'typeorm';
import { ServerUnreachableError } from '../errors/server-unreachable.error';
import { OPENSMS_WEBHOOK_ENTITIES } from '../inbox/sms-event.tables';
import { SmsEventLifecycle } from '../inbox/sms-event.lifecycle';
import { SmsEventQueries } from '../inbox/sms-event.queries';
import { SmsEventTables } from '../inbox/sms-event.tables';
import { OpenSmsWebhookService } from '../opensms-webhook.service';
import { SmsEventOutbox } from '../inbox/sms-event.outbox';
import { SmsEventRelayNotifier } from '../queue/sms-event-relay.notifier';
import { describeUrl } from './url';

/** Where the inbox lives. */
export interface InboxConnection {
  /** PostgreSQL URL of the host's database. */
  databaseUrl: string;
  /** Schema of the inbox tables. @default the database's default (`public`) */
  schema?: string;
}

/** The inbox as the command line sees it: its queries, and the service once the queue is needed. */
export interface CliInbox {
  readonly queries: SmsEventQueries;
  /** The library's service over this inbox (replay needs only the database: the workers' relays queue the events). */
  service(): Promise<OpenSmsWebhookService>;
}

/** How long the command line waits for a server before it gives up. */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * Runs `work` on the inbox over a DataSource of its own, without the module: no HTTP route, no
 * worker, no secret. Replayed events are processed by the application's own workers. A server
 * that does not answer fails within {@link CONNECT_TIMEOUT_MS}, naming it (never its password).
 */
export async function withInbox<T>(connection: InboxConnection, work: (inbox: CliInbox) => Promise<T>): Promise<T> {
  const dataSource = await connectToDatabase(connection);
  const tables = new SmsEventTables(dataSource);
  const queries = new SmsEventQueries(tables);
  const relay = new SmsEventRelayNotifier(new SmsEventOutbox(tables));
  const inbox: CliInbox = {
    queries,
    service: async () => new OpenSmsWebhookService(queries, new SmsEventLifecycle(tables), relay),
  };
  try {
    return await work(inbox);
  } finally {
    await dataSource.destroy();
  }
}

async function connectToDatabase(connection: InboxConnection): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: connection.databaseUrl,
    schema: connection.schema,
    entities: OPENSMS_WEBHOOK_ENTITIES,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    extra: { max: 2 },
  });
  try {
    return await dataSource.initialize();
  } catch (error) {
    throw new ServerUnreachableError('PostgreSQL', describeUrl(connection.databaseUrl), reason(error));
  }
}

export function reason(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return (message || code || String(error)).replace(/\.$/, '');
}
