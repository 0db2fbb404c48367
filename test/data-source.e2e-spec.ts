import { type INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  OnSmsEvent,
  OPENSMS_WEBHOOK_MIGRATIONS,
  OpenSmsWebhookModule,
  OpenSmsWebhookService,
  type SmsDeliveredEvent,
  type SmsEventContext,
} from '@opensms/nestjs-webhooks';
import type { DataSource } from 'typeorm';
import { clearQueuePrefix, testModuleOptions, waitFor } from './support/test-app';
import { connectToSchema, createSchema, dropSchema, TEST_DATABASE_URL, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** Records, through the handler's transaction, which schema its writes go to. */
@Injectable()
class SchemaRecordingHandler {
  readonly schemas: string[] = [];

  @OnSmsEvent('delivered')
  async record(_event: SmsDeliveredEvent, ctx: SmsEventContext): Promise<void> {
    const [row] = await ctx.manager.query('SELECT current_schema() AS "schema"');
    this.schemas.push(row.schema);
  }
}

const INBOX_DATA_SOURCE = 'inbox';

describe.each(['forRoot', 'forRootAsync'] as const)('dataSource option: the inbox in a named DataSource (%s)', (registration) => {
  const appSchema = uniqueName(`ds_app_${registration}`);
  const inboxSchema = uniqueName(`ds_inbox_${registration}`);
  let app: INestApplication;
  let url: string;
  let appTables: DataSource;
  let inboxTables: DataSource;

  beforeAll(async () => {
    await createSchema(appSchema);
    await createSchema(inboxSchema);
    const options = testModuleOptions({ schema: inboxSchema, queuePrefix: inboxSchema });

    @Module({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: TEST_DATABASE_URL, schema: appSchema, autoLoadEntities: true, retryAttempts: 0 }),
        TypeOrmModule.forRoot({
          name: INBOX_DATA_SOURCE,
          type: 'postgres',
          url: TEST_DATABASE_URL,
          schema: inboxSchema,
          autoLoadEntities: true,
          migrations: OPENSMS_WEBHOOK_MIGRATIONS,
          migrationsRun: true,
          // NOTE: unqualified SQL of the handler lands in this schema too.
          extra: { options: `-c search_path="${inboxSchema}"` },
          retryAttempts: 0,
        }),
        registration === 'forRoot'
          ? OpenSmsWebhookModule.forRoot({ ...options, dataSource: INBOX_DATA_SOURCE })
          : OpenSmsWebhookModule.forRootAsync({ useFactory: () => options, dataSource: INBOX_DATA_SOURCE }),
      ],
      providers: [SchemaRecordingHandler],
    })
    class NamedDataSourceHost {}

    app = await NestFactory.create(NamedDataSourceHost, new ExpressAdapter(), { rawBody: true, logger: ['error'], abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    appTables = await connectToSchema(appSchema);
    inboxTables = await connectToSchema(inboxSchema);
  });

  afterAll(async () => {
    await app?.close();
    await appTables?.destroy();
    await inboxTables?.destroy();
    await clearQueuePrefix(inboxSchema);
    await dropSchema(appSchema);
    await dropSchema(inboxSchema);
  });

  const tablesIn = async (dataSource: DataSource, schema: string): Promise<string[]> =>
    (await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])).map(
      (row: { table_name: string }) => row.table_name,
    );

  it('stores the call in the named DataSource, processes it there, and leaves the default one alone', async () => {
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload({ message_id: `msg_named_${registration}` }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'received', duplicate: false });

    const service = app.get(OpenSmsWebhookService);
    await waitFor('processed', async () => (await service.findById(response.body.id))?.state === 'processed');

    const rows = await inboxTables.query(
      `SELECT e."message_id", s."state" FROM "${inboxSchema}"."opensms_webhook_events" e
         JOIN "${inboxSchema}"."opensms_webhook_event_states" s ON s."event_id" = e."id" WHERE e."id" = $1`,
      [response.body.id],
    );
    expect(rows).toEqual([{ message_id: `msg_named_${registration}`, state: 'processed' }]);
    expect(app.get(SchemaRecordingHandler).schemas).toEqual([inboxSchema]);
    expect(await tablesIn(inboxTables, inboxSchema)).toEqual(
      expect.arrayContaining(['opensms_webhook_events', 'opensms_webhook_event_states', 'opensms_webhook_outbox']),
    );
    expect(await tablesIn(appTables, appSchema)).toEqual([]);
  });
});
