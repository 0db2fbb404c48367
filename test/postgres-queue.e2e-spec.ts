import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { startTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, TEST_DATABASE_URL, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

describe("queueBackend 'postgres': the pipeline without Redis", () => {
  const schema = uniqueName('pg_queue');
  const queueSchema = `${schema}_bullmq`;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    await createSchema(schema);
    ({ app, url } = await startTestApp({
      schema,
      queuePrefix: schema,
      providers: [RecordingConsumer],
      options: {
        queueBackend: 'postgres',
        postgresQueue: { connectionString: TEST_DATABASE_URL, schema: queueSchema },
        redis: { host: '127.0.0.1', port: 1 },
      },
    }));
  });

  afterAll(async () => {
    await app?.close();
    await dropSchema(queueSchema);
    await dropSchema(schema);
  });

  it('stores, enqueues in PostgreSQL and dispatches each event once', async () => {
    const first = await postSigned(`${url}/webhooks/sms`, smsPayload({ event: 'sms.failed', message_id: 'msg_pg_1' }));
    const again = await postSigned(`${url}/webhooks/sms`, smsPayload({ event: 'sms.failed', message_id: 'msg_pg_1' }));
    expect(first.status).toBe(200);
    expect(again.body).toEqual({ status: 'received', id: first.body.id, duplicate: true });

    const service = app.get(OpenSmsWebhookService);
    await waitFor('processed row', async () => (await service.findById(first.body.id))?.state === 'processed');
    const consumer = app.get(RecordingConsumer);
    expect(consumer.calls.map((call) => call.handler).sort()).toEqual(['*', 'failed']);
  });
});
