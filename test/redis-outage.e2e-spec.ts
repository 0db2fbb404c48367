import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { type RedisServerProcess, startRedisServer } from './support/redis-server';
import { startTestApp } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

describe('Redis unreachable, in one process', () => {
  const schema = uniqueName('redis_outage');
  let redis: RedisServerProcess;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    await createSchema(schema);
    redis = await startRedisServer();
    ({ app, url } = await startTestApp({
      schema,
      queuePrefix: schema,
      providers: [RecordingConsumer],
      options: { redis: { host: '127.0.0.1', port: redis.port } },
    }));
  });

  afterAll(async () => {
    await redis.stop();
    await dropSchema(schema);
  });

  it('still acknowledges a stored event within about a second, and the application still shuts down', async () => {
    await redis.stop();

    const startedAt = Date.now();
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload({ message_id: 'msg_redis_down' }));
    const answeredInMs = Date.now() - startedAt;

    expect(response.status).toBe(200);
    expect(answeredInMs).toBeLessThan(1500);
    const row = await app.get(OpenSmsWebhookService).findById(response.body.id);
    expect(row?.state).toBe('received');

    // Shutdown must not wait for Redis to come back.
    await app.close();
  });
});
