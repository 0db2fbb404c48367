import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { RecordingConsumer } from '../fixtures/recording.consumer';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { clearQueuePrefix, startTestApp, waitFor } from '../support/test-app';
import { createSchema, dropSchema, uniqueName } from '../support/test-database';
import { postSigned, smsPayload } from '../support/webhook-client';

const OUTAGES = 20;
const EVENTS_PER_OUTAGE = 5;
/** The relay's interval: it looks for unqueued rows every second without a notification. */
const RELAY_INTERVAL_MS = 1000;
/**
 * How long after Redis answers again every event stored during the outage must be processed, in relay
 * intervals: the relay's queue client reconnects within 1 (ioredis waits 50 ms × attempts between
 * tries, and an outage here lasts under a second), a round already waiting on the queue gives up within
 * 1 (its enqueue timeout is one interval), the next round starts within 1, and the worker fetches again
 * within 1 of a failed fetch: 4 intervals, doubled for a busy machine (8 s). Seen: about 0.9 s each.
 */
const RECOVERY_BOUND_MS = 2 * 4 * RELAY_INTERVAL_MS;

describe('the relay after Redis outages, 20 in a row', () => {
  const schema = uniqueName('relay_outages');
  let redis: RedisServerProcess;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    await createSchema(schema);
    redis = await startRedisServer();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis?.stop();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it(`queues and processes every event stored during each outage within ${RECOVERY_BOUND_MS} ms of Redis answering`, async () => {
    const options = { queue: { connection: { host: '127.0.0.1', port: redis.port } } };
    const common = { schema, queuePrefix: schema, providers: [RecordingConsumer], options };
    const ingest = await startTestApp({ ...common, extras: { mode: 'ingest' } });
    apps.push(ingest.app);
    const worker = await startTestApp({ ...common, extras: { mode: 'worker' } });
    apps.push(worker.app);
    const service = worker.app.get(OpenSmsWebhookService);
    const recoveries: number[] = [];
    // The outages begin once the pipeline has run an event end to end: what is measured is recovery, not start-up.
    const first = await postSigned(`${ingest.url}/webhooks/sms`, smsPayload({ message_id: 'msg_outage_before' }));
    await waitFor(
      'the event sent before the outages processed',
      async () => (await service.findById(first.body.id as string))?.state === 'processed',
    );

    for (let outage = 0; outage < OUTAGES; outage++) {
      await redis.stop();
      const responses = await Promise.all(
        Array.from({ length: EVENTS_PER_OUTAGE }, (_, index) =>
          postSigned(`${ingest.url}/webhooks/sms`, smsPayload({ message_id: `msg_outage_${outage}_${index}` })),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
      const ids = responses.map((response) => response.body.id as string);

      await redis.start();
      const answeredAt = Date.now();
      await waitFor(
        `every event of outage ${outage + 1} processed (recoveries so far: ${recoveries.join(', ')} ms)`,
        async () => (await Promise.all(ids.map((id) => service.findById(id)))).every((row) => row?.state === 'processed'),
        RECOVERY_BOUND_MS,
      );
      recoveries.push(Date.now() - answeredAt);
    }

    const handled = worker.app.get(RecordingConsumer).calls.filter((call) => call.handler === 'delivered');
    expect(handled).toHaveLength(OUTAGES * EVENTS_PER_OUTAGE + 1);
  }, 120_000);
});
