import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { useTestApp, waitFor } from './support/test-app';
import { dropSchema, TEST_DATABASE_URL } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

describe("queue.backend 'postgres': the pipeline without Redis", () => {
  const host = useTestApp('pg_queue', () => ({
    providers: [RecordingConsumer],
    options: {
      queue: {
        backend: 'postgres',
        postgres: { connectionString: TEST_DATABASE_URL, schema: queueSchema() },
        // Nothing listens there: jobs can only go through PostgreSQL.
        connection: { host: '127.0.0.1', port: 1 },
      },
    },
  }));
  const queueSchema = () => `${host.schema}_bullmq`;

  afterAll(async () => {
    await dropSchema(queueSchema());
  });

  it('stores, enqueues in PostgreSQL and dispatches each event once', async () => {
    const first = await postSigned(host.endpoint, smsPayload({ event: 'sms.failed', message_id: 'msg_pg_1' }));
    const again = await postSigned(host.endpoint, smsPayload({ event: 'sms.failed', message_id: 'msg_pg_1' }));
    expect(first.status).toBe(200);
    expect(again.body).toEqual({ status: 'received', id: first.body.id, duplicate: true });

    const service = host.app.get(OpenSmsWebhookService);
    await waitFor('processed row', async () => (await service.findById(first.body.id))?.state === 'processed');
    const consumer = host.app.get(RecordingConsumer);
    expect(consumer.calls.map((call) => call.handler).sort()).toEqual(['*', 'failed']);
  });
});
