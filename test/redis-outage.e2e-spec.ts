import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { type RedisServerProcess, startRedisServer } from './support/redis-server';
import { useTestApp } from './support/test-app';
import { postSigned, smsPayload } from './support/webhook-client';

describe('Redis unreachable, in one process', () => {
  let redis: RedisServerProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  const host = useTestApp('redis_outage', () => ({
    providers: [RecordingConsumer],
    options: { queue: { connection: { host: '127.0.0.1', port: redis.port } } },
  }));

  // NOTE: declared after the app, so that the app has closed before its Redis goes away.
  afterAll(async () => {
    await redis?.stop();
  });

  it('still acknowledges a stored event within about a second, and the application still shuts down', async () => {
    await redis.stop();

    const startedAt = Date.now();
    const response = await postSigned(host.endpoint, smsPayload({ message_id: 'msg_redis_down' }));
    const answeredInMs = Date.now() - startedAt;

    expect(response.status).toBe(200);
    expect(answeredInMs).toBeLessThan(1500);
    const row = await host.app.get(OpenSmsWebhookService).findById(response.body.id);
    expect(row?.state).toBe('received');

    // Shutdown must not wait for Redis to come back (the scope's afterAll closes it again: a no-op).
    await host.app.close();
  });
});
