import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { clearQueuePrefix, startTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

describe('smoke: a signed delivery reaches the handlers', () => {
  const schema = uniqueName('smoke');
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    await createSchema(schema);
    ({ app, url } = await startTestApp({ schema, queuePrefix: schema, providers: [RecordingConsumer] }));
  });

  afterAll(async () => {
    await app?.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('stores, acknowledges and dispatches once', async () => {
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload({ event: 'sms.failed' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });

    const consumer = app.get(RecordingConsumer);
    await waitFor('handlers', () => consumer.calls.length === 2);
    expect(consumer.calls.map((call) => call.handler).sort()).toEqual(['*', 'failed']);
    const service = app.get(OpenSmsWebhookService);
    await waitFor('processed row', async () => (await service.findById(response.body.id))?.state === 'processed');
  });
});
