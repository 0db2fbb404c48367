import type { INestApplication } from '@nestjs/common';
import { CreateFaultEffects1764316900000, EffectRecorder } from '../fixtures/effect-recorder.consumer';
import { type ChildApp, startChildApp, stopAll } from '../support/child-app';
import { acceptedIds, deliverAll, statusUpdates } from '../support/delivery';
import { SchemaInspector } from '../support/schema-inspector';
import { clearQueuePrefix, startTestApp, waitFor } from '../support/test-app';
import { createSchema, dropSchema, TEST_REDIS, uniqueName } from '../support/test-database';

describe('faults: two worker processes on one queue', () => {
  const schema = uniqueName('two_workers');
  let ingest: INestApplication;
  let url: string;
  let workers: ChildApp[] = [];
  let inspector: SchemaInspector;

  beforeAll(async () => {
    await createSchema(schema);
    ({ app: ingest, url } = await startTestApp({
      schema,
      queuePrefix: schema,
      extras: { mode: 'ingest' },
      migrations: [CreateFaultEffects1764316900000],
    }));
    workers = await Promise.all(
      [1, 2].map(() =>
        startChildApp({ schema, queuePrefix: schema, mode: 'worker', redisPort: TEST_REDIS.port, handlerDelayMs: 3 }),
      ),
    );
    inspector = await SchemaInspector.open(schema);
  });

  afterAll(async () => {
    await stopAll(workers);
    await ingest?.close();
    await inspector?.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('runs each handler once per event and never two events of one message at a time', async () => {
    const unique = statusUpdates('two_workers', 800, 80);
    const duplicates = unique.filter((_, index) => index % 4 === 0);
    const stream = [...unique, ...duplicates].sort(() => Math.random() - 0.5);

    const deliveries = await deliverAll(`${url}/webhooks/sms`, stream, 24);

    expect(deliveries.filter((delivery) => delivery.status !== 200)).toEqual([]);
    const ids = acceptedIds(deliveries);
    expect(ids).toHaveLength(unique.length);
    expect(deliveries.filter((delivery) => delivery.duplicate)).toHaveLength(duplicates.length);

    await waitFor('every event processed', async () => (await inspector.countInState('processed')) === ids.length, 120_000);
    expect(await inspector.tallyEffects(ids)).toEqual({ exactlyOnce: ids.length, missing: [], duplicated: [], unexpected: [] });
    expect(await inspector.overlappingRuns()).toBe(0);
    expect(await inspector.messagesWithBrokenSequence()).toBe(0);
    expect(await inspector.wrongStaleFlags()).toBe(0);
    expect(await inspector.countRecordingProcesses()).toBe(2);
    expect(workers.every((worker) => worker.isRunning)).toBe(true);
  });
});
