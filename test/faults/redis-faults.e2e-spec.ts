import { acceptedIds, deliverAll, statusUpdates } from '../support/delivery';
import { FAST_RECONCILER, type FaultScope, useFaultScope } from '../support/fault-scope';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { waitFor } from '../support/test-app';

/** A fault scope whose apps use a private Redis, started before and killed after the block's tests. */
function usePrivateRedis(label: string, handlerDelayMs = 0): { scope: FaultScope; redis: () => RedisServerProcess } {
  const scope = useFaultScope(label, { options: { worker: FAST_RECONCILER }, handlerDelayMs });
  let redis: RedisServerProcess | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return { scope, redis: () => redis! };
}

async function expectEachProcessedOnce(scope: FaultScope, ids: readonly string[]): Promise<void> {
  await waitFor('every event processed', async () => (await scope.inspector.countInState('processed', ids)) === ids.length, 60_000);
  expect(await scope.inspector.tallyEffects(ids)).toEqual({ exactlyOnce: ids.length, missing: [], duplicated: [], unexpected: [] });
}

describe('faults: Redis flushed while events are being processed', () => {
  const { scope, redis } = usePrivateRedis('redis_flush', 10);

  it('the reconciler enqueues the lost jobs again and nothing is lost', async () => {
    const app = await scope.start({ redisPort: redis().port });
    const deliveries = await deliverAll(app.webhookUrl, statusUpdates('flushed', 200, 40));
    const ids = acceptedIds(deliveries);
    expect(ids).toHaveLength(200);
    await waitFor('some events processed', async () => (await scope.inspector.countInState('processed', ids)) >= 20);

    await redis().flushAll();

    await expectEachProcessedOnce(scope, ids);
  });
});

describe('faults: Redis down while events arrive', () => {
  const { scope, redis } = usePrivateRedis('redis_down');

  it('acknowledges each stored event within 5 s, and processes all once Redis is back', async () => {
    const app = await scope.start({ redisPort: redis().port });
    await redis().stop();

    const deliveries = await deliverAll(app.webhookUrl, statusUpdates('redis_down', 60, 20), { concurrency: 6 });

    expect(deliveries.map((delivery) => delivery.status)).toEqual(deliveries.map(() => 200));
    expect(Math.max(...deliveries.map((delivery) => delivery.elapsedMs))).toBeLessThan(5000);
    const ids = acceptedIds(deliveries);
    expect(ids).toHaveLength(60);
    expect(await scope.inspector.countInState('received', ids)).toBe(60);

    await redis().start();

    await expectEachProcessedOnce(scope, ids);
    expect(app.isRunning).toBe(true);
  });
});

describe('faults: Redis restarted with jobs in flight', () => {
  const { scope, redis } = usePrivateRedis('redis_restart', 10);

  it('the workers reconnect by themselves and every event ends processed, once', async () => {
    const ingest = await scope.start({ redisPort: redis().port, mode: 'ingest' });
    const workers = await Promise.all([1, 2].map(() => scope.start({ redisPort: redis().port, mode: 'worker' })));
    const deliveries = await deliverAll(ingest.webhookUrl, statusUpdates('restarted', 200, 40));
    const ids = acceptedIds(deliveries);
    expect(ids).toHaveLength(200);
    await waitFor('some events processed', async () => (await scope.inspector.countInState('processed', ids)) >= 20);

    await redis().restart();

    await expectEachProcessedOnce(scope, ids);
    expect([ingest, ...workers].every((app) => app.isRunning)).toBe(true);
  });
});
