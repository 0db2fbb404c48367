import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  InboxEntitiesMissingError,
  OPENSMS_WEBHOOK_ENTITIES,
  OpenSmsWebhookModule,
  OpenSmsWebhookService,
  SmsEventEntity,
} from '@opensms/nestjs-webhooks';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { TEST_DATABASE_URL } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/**
 * A DataSource that does not know the library's entities (no `autoLoadEntities`, and not listed)
 * stops the application at start-up with InboxEntitiesMissingError, which names the fix.
 */

describe('a DataSource without the inbox entities', () => {
  /** The DataSources the hosts opened: a host that fails to start does not close its own. */
  const opened: DataSource[] = [];

  afterAll(async () => {
    await Promise.all(opened.map((dataSource) => dataSource.destroy()));
  });

  /** Starts an ingest-only host (no queue clients) whose TypeORM registration is given; resolves to its error. */
  async function startFailingHost(typeorm: { name?: string; entities: DataSourceOptions['entities'] }): Promise<unknown> {
    @Module({
      imports: [
        TypeOrmModule.forRootAsync({
          name: typeorm.name,
          useFactory: () => ({ type: 'postgres', url: TEST_DATABASE_URL, entities: typeorm.entities, extra: { max: 1 }, retryAttempts: 0 }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            opened.push(dataSource);
            return dataSource;
          },
        }),
        OpenSmsWebhookModule.forRoot({ secret: TEST_SECRET, mode: 'ingest', ...(typeorm.name ? { dataSource: typeorm.name } : {}) }),
      ],
    })
    class HostWithoutInboxEntities {}

    return NestFactory.create(HostWithoutInboxEntities, new ExpressAdapter(), { rawBody: true, logger: false, abortOnError: false }).then(
      async (app) => {
        await app.close();
        throw new Error('the application started');
      },
      (error: unknown) => error,
    );
  }

  it('refuses to start, naming autoLoadEntities and OPENSMS_WEBHOOK_ENTITIES', async () => {
    const error = await startFailingHost({ entities: [] });
    expect(error).toBeInstanceOf(InboxEntitiesMissingError);
    expect((error as Error).message).toBe(
      'OpenSmsWebhookModule keeps its inbox in the TypeORM DataSource "default", which does not know the inbox entities ' +
        'SmsEventEntity, SmsEventStateEntity, SmsEventOutboxEntity. In its TypeOrmModule.forRoot({ ... }), set ' +
        'autoLoadEntities: true, or add ...OPENSMS_WEBHOOK_ENTITIES (from @opensms/nestjs-webhooks) to its entities.',
    );
  });

  it('names only the entities that are missing, and the named DataSource of the `dataSource` option', async () => {
    const error = await startFailingHost({ name: 'inbox', entities: [SmsEventEntity] });
    expect(error).toBeInstanceOf(InboxEntitiesMissingError);
    expect((error as Error).message).toContain(
      'DataSource "inbox", which does not know the inbox entities SmsEventStateEntity, SmsEventOutboxEntity. ' +
        "In its TypeOrmModule.forRoot({ name: 'inbox', ... }), set autoLoadEntities: true",
    );
  });
});

describe('a DataSource that lists OPENSMS_WEBHOOK_ENTITIES instead of autoLoadEntities', () => {
  const scope = useTestApp('inbox_entities_listed', { autoLoadEntities: false, entities: OPENSMS_WEBHOOK_ENTITIES });

  it('starts, and stores and processes an event', async () => {
    const response = await postSigned(scope.endpoint, smsPayload({ message_id: 'msg_listed_entities' }));
    expect(response.status).toBe(200);
    const service = scope.app.get(OpenSmsWebhookService);
    await waitFor('the event to be ignored (no handlers)', async () => (await service.findById(response.body.id))?.state === 'ignored');
  });
});
