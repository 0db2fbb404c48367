import type { INestApplication } from '@nestjs/common';
import { CreateFaultEffects1764316900000 } from '../fixtures/effect-recorder.consumer';
import { acceptedIds, deliverAll, statusUpdates } from '../support/delivery';
import { useFaultScope } from '../support/fault-scope';
import { startTestApp, waitFor } from '../support/test-app';

describe('faults: two worker processes on one queue', () => {
  const scope = useFaultScope('two_workers', { mode: 'worker', handlerDelayMs: 3 });
  let ingest: INestApplication | undefined;
  let url: string;

  beforeAll(async () => {
    ({ app: ingest, url } = await startTestApp({
      schema: scope.schema,
      queuePrefix: scope.schema,
      extras: { mode: 'ingest' },
      migrations: [CreateFaultEffects1764316900000],
    }));
    await Promise.all([scope.start(), scope.start()]);
  });

  afterAll(async () => {
    await ingest?.close();
  });
  it('runs each handler once per event and never two events of one message at a time', async () => {
    const unique = statusUpdates('two_workers', 800, 80);
    const duplicates = unique.filter((_, index) => index % 4 === 0);
    const stream = [...unique, ...duplicates].sort(() => Math.random() - 0.5);

    const deliveries = await deliverAll(`${url}/webhooks/sms`, stream, { concurrency: 24 });

    expect(deliveries.filter((delivery) => delivery.status !== 200)).toEqual([]);
    const ids = acceptedIds(deliveries);
    expect(ids).toHaveLength(unique.length);
    expect(deliveries.filter((delivery) => delivery.duplicate)).toHaveLength(duplicates.length);

    await waitFor('every event processed', async () => (await scope.inspector.countInState('processed')) === ids.length, 120_000);
    expect(await scope.inspector.tallyEffects(ids)).toEqual({ exactlyOnce: ids.length, missing: [], duplicated: [], unexpected: [] });
    expect(await scope.inspector.overlappingRuns()).toBe(0);
    expect(await scope.inspector.messagesWithBrokenSequence()).toBe(0);
    expect(await scope.inspector.wrongStaleFlags()).toBe(0);
    expect(await scope.inspector.countRecordingProcesses()).toBe(2);
  });
});
