import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { useTestApp, waitFor } from './support/test-app';
import { postSigned, smsPayload } from './support/webhook-client';

describe('smoke: a signed delivery reaches the handlers', () => {
  const host = useTestApp('smoke', { providers: [RecordingConsumer] });

  it('stores, acknowledges and dispatches once', async () => {
    const response = await postSigned(host.endpoint, smsPayload({ event: 'sms.failed' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });

    const consumer = host.app.get(RecordingConsumer);
    await waitFor('handlers', () => consumer.calls.length === 2);
    expect(consumer.calls.map((call) => call.handler).sort()).toEqual(['*', 'failed']);
    const service = host.app.get(OpenSmsWebhookService);
    await waitFor('processed row', async () => (await service.findById(response.body.id))?.state === 'processed');
  });
});
