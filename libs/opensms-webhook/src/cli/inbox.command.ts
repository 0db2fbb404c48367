import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OpenSmsWebhookModule } from '../opensms-webhook.module';
import { OpenSmsWebhookService } from '../opensms-webhook.service';

/** Where the inbox and its queue live. */
export interface InboxConnection {
  /** PostgreSQL URL of the host's database. */
  databaseUrl: string;
  /** Schema of the inbox tables. @default the database's default (`public`) */
  schema?: string;
  /** Redis URL of the queue. @default 'redis://127.0.0.1:6379' */
  redisUrl?: string;
  /** BullMQ key prefix. @default 'bull' */
  queuePrefix?: string;
  /** BullMQ queue name. @default 'opensms-webhooks' */
  queueName?: string;
}

/**
 * Runs `work` with the library's {@link OpenSmsWebhookService} on the given inbox, in a Nest
 * application context with no HTTP server and no worker: replayed events are processed by the
 * application's own workers.
 */
export async function withInbox<T>(
  connection: InboxConnection,
  work: (service: OpenSmsWebhookService) => Promise<T>,
): Promise<T> {
  const redis = new URL(connection.redisUrl ?? 'redis://127.0.0.1:6379');
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: connection.databaseUrl,
        schema: connection.schema,
        autoLoadEntities: true,
        retryAttempts: 0,
      }),
      OpenSmsWebhookModule.forRoot({
        // NOTE: this context never receives webhooks; a resolver stands in for the secret.
        secretResolver: () => [],
        redis: {
          host: redis.hostname,
          port: Number(redis.port || 6379),
          ...(redis.password ? { password: decodeURIComponent(redis.password) } : {}),
        },
        queuePrefix: connection.queuePrefix,
        mode: 'ingest',
        ...(connection.queueName ? { queueName: connection.queueName } : {}),
      }),
    ],
  })
  class OpenSmsInboxCliModule {}

  const context: INestApplicationContext = await NestFactory.createApplicationContext(OpenSmsInboxCliModule, {
    logger: ['error'],
    abortOnError: false,
  });
  try {
    return await work(context.get(OpenSmsWebhookService));
  } finally {
    await context.close();
  }
}
