import { acceptedIds, deliverAll, statusUpdates } from '../support/delivery';
import { useFaultScope } from '../support/fault-scope';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/test-app';
import { queueSchemaOf, TEST_DATABASE_URL, TEST_QUEUE_BACKEND, TEST_REDIS } from '../support/test-database';

/** `worker.shutdownGraceMs` of these apps. */
const SHUTDOWN_GRACE_MS = 2000;
/**
 * What the module promises (docs/operations.md, Graceful shutdown): SIGTERM ends the process within
 * `worker.shutdownGraceMs` and 5 s more, whatever its servers do.
 */
const SHUTDOWN_BOUND_MS = SHUTDOWN_GRACE_MS + 5000;

/** Which connection of the app the partition cuts. */
type Unreachable = 'queue' | 'inbox';

describe(`faults: SIGTERM while a server is unreachable (queue on ${TEST_QUEUE_BACKEND})`, () => {
  const scope = useFaultScope('shutdown', { options: { worker: { shutdownGraceMs: SHUTDOWN_GRACE_MS } }, blockMessagePrefix: 'blocked_' });
  const proxies: TcpProxy[] = [];

  // NOTE: before the scope drops its schema: a paused proxy keeps the killed app's transactions open on the server.
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });

  async function proxyTo(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = await startTcpProxy(target);
    proxies.push(proxy);
    return proxy;
  }

  function through(proxy: TcpProxy, url: string): string {
    const proxied = new URL(url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    return proxied.toString();
  }

  /**
   * Starts an app whose inbox database and queue each go through a proxy of their own, with an event
   * whose handler blocks mid-batch (its batch holds a database connection) and others stored, then
   * pauses the proxy of `unreachable`: open connections stay open and nothing answers, as in a
   * network partition.
   */
  async function appWithUnreachable(unreachable: Unreachable) {
    const database = new URL(TEST_DATABASE_URL);
    const postgres = { host: database.hostname, port: Number(database.port || 5432) };
    const inbox = await proxyTo(postgres);
    const queue = await proxyTo(TEST_QUEUE_BACKEND === 'postgres' ? postgres : TEST_REDIS);
    const app = await scope.start({
      databaseUrl: through(inbox, TEST_DATABASE_URL),
      redisPort: queue.port,
      options: {
        worker: { shutdownGraceMs: SHUTDOWN_GRACE_MS },
        ...(TEST_QUEUE_BACKEND === 'postgres'
          ? { queue: { postgres: { connectionString: through(queue, TEST_DATABASE_URL), schema: queueSchemaOf(scope.schema) } } }
          : {}),
      },
    });
    const blocked = acceptedIds(await deliverAll(app.webhookUrl, statusUpdates(`blocked_${unreachable}`, 1, 1)));
    await waitFor('the blocked handler running', async () => (await scope.inspector.countInState('processing', blocked)) === 1);
    const stored = acceptedIds(await deliverAll(app.webhookUrl, statusUpdates(`stored_${unreachable}`, 10, 5)));
    expect(stored).toHaveLength(10);

    (unreachable === 'queue' ? queue : inbox).setState('paused');
    // Some more calls, so that the relay and the worker meet the partition before the signal.
    await deliverAll(app.webhookUrl, statusUpdates(`late_${unreachable}`, 5, 5));
    return app;
  }

  it.each<Unreachable>(['queue', 'inbox'])(
    `ends within shutdownGraceMs + 5 s (${SHUTDOWN_BOUND_MS} ms) when the %s does not answer`,
    async (unreachable) => {
      const app = await appWithUnreachable(unreachable);

      const { exit, afterMs } = await app.terminate(SHUTDOWN_BOUND_MS);

      // NOTE: Nest ends the process by raising the signal again once it has closed.
      expect(exit === 'SIGTERM' ? exit : `${exit} after ${afterMs} ms\n${app.recentErrors}`).toBe('SIGTERM');
      expect(afterMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    },
    120_000,
  );
});
