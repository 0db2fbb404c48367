import type { ChildApp } from '../support/child-app';
import { acceptedIds, type Delivery, deliverAll, statusUpdates } from '../support/delivery';
import { FAST_RECONCILER, FAST_TAKEOVER, useFaultScope } from '../support/fault-scope';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/test-app';
import { TEST_DATABASE_URL } from '../support/test-database';

/** Every answer must come within this bound, whatever the database does. */
const ANSWER_BOUND_MS = 5000;

function slowest(deliveries: readonly Delivery[]): number {
  return Math.max(...deliveries.map((delivery) => delivery.elapsedMs));
}

describe('faults: PostgreSQL unreachable or slow behind a proxy', () => {
  const scope = useFaultScope('postgres_faults', { options: { worker: { ...FAST_RECONCILER, ...FAST_TAKEOVER } } });
  let proxy: TcpProxy;
  let app: ChildApp;
  const accepted: Delivery[] = [];

  beforeAll(async () => {
    const database = new URL(TEST_DATABASE_URL);
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
    database.port = String(proxy.port);
    app = await scope.start({ databaseUrl: database.toString() });
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('answers 503 with Retry-After within 5 s while the database is cut or silent, and stays up', async () => {
    const before = await deliverAll(app.webhookUrl, statusUpdates('pg_before', 10, 10));
    expect(before.map((delivery) => delivery.status)).toEqual(before.map(() => 200));
    accepted.push(...before);

    proxy.cut();
    const whileCut = await deliverAll(app.webhookUrl, statusUpdates('pg_cut', 10, 10), { concurrency: 5 });
    proxy.setState('silent');
    const whileSilent = await deliverAll(app.webhookUrl, statusUpdates('pg_silent', 10, 10), { concurrency: 5 });

    for (const rejected of [...whileCut, ...whileSilent]) {
      expect(rejected.status).toBe(503);
      expect(rejected.response?.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(slowest([...whileCut, ...whileSilent])).toBeLessThan(ANSWER_BOUND_MS);
    expect(app.isRunning).toBe(true);

    proxy.restore();
    const redelivered = await deliverAll(
      app.webhookUrl,
      [...whileCut, ...whileSilent].map((delivery) => delivery.payload),
    );
    expect(redelivered.map((delivery) => [delivery.status, delivery.duplicate])).toEqual(redelivered.map(() => [200, false]));
    accepted.push(...redelivered);

    await expectEachProcessedOnce(acceptedIds(accepted));
  });

  it('answers within 5 s while every database round trip takes 2 s longer, never 2xx unless stored', async () => {
    proxy.setLatency(1000);
    const whileSlow = await deliverAll(app.webhookUrl, statusUpdates('pg_slow', 10, 10), { concurrency: 5 });
    proxy.restore();

    expect(slowest(whileSlow)).toBeLessThan(ANSWER_BOUND_MS);
    for (const delivery of whileSlow) expect([200, 503]).toContain(delivery.status);
    const unacknowledged = whileSlow.filter((delivery) => delivery.status !== 200);
    const redelivered = await deliverAll(
      app.webhookUrl,
      unacknowledged.map((delivery) => delivery.payload),
    );
    expect(redelivered.filter((delivery) => delivery.status !== 200)).toEqual([]);
    accepted.push(...whileSlow, ...redelivered);

    const ids = acceptedIds(accepted);
    expect(ids).toHaveLength(40);
    expect(await scope.inspector.countEvents()).toBe(40);
    await expectEachProcessedOnce(ids);
    expect(app.isRunning).toBe(true);
  });

  async function expectEachProcessedOnce(ids: readonly string[]): Promise<void> {
    await waitFor('every event processed', async () => (await scope.inspector.countInState('processed', ids)) === ids.length, 60_000);
    expect(await scope.inspector.tallyEffects(ids)).toEqual({ exactlyOnce: ids.length, missing: [], duplicated: [], unexpected: [] });
  }
});
