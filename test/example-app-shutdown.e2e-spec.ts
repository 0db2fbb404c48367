import { SHUTDOWN_GRACE_MS } from '../src/config/opensms-webhook.config';
import { exampleAppEnvironment } from './support/example-app-environment';
import { ExampleProcess } from './support/example-process';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { clearQueuePrefix } from './support/test-app';
import { createSchema, dropSchema, TEST_DATABASE_URL, TEST_REDIS, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** What the example app promises (docs/example-app.md): SIGTERM ends it within its shutdown grace and 5 s more. */
const SHUTDOWN_BOUND_MS = SHUTDOWN_GRACE_MS + 5000;

interface Case {
  adapter: 'express' | 'fastify';
  queue: 'redis' | 'postgres';
  /** The server whose proxy is paused: open connections stay open and nothing answers, as in a partition. */
  unreachable: 'Redis' | 'PostgreSQL';
}

const CASES: Case[] = [
  { adapter: 'express', queue: 'redis', unreachable: 'Redis' },
  { adapter: 'fastify', queue: 'redis', unreachable: 'Redis' },
  { adapter: 'express', queue: 'redis', unreachable: 'PostgreSQL' },
  { adapter: 'fastify', queue: 'redis', unreachable: 'PostgreSQL' },
  { adapter: 'fastify', queue: 'postgres', unreachable: 'PostgreSQL' },
];

describe('example app (npm start): SIGTERM while a server does not answer', () => {
  const schema = uniqueName('example_app_shutdown');
  let proxies: TcpProxy[] = [];
  let app: ExampleProcess | undefined;

  beforeAll(async () => {
    await createSchema(schema);
  });

  // NOTE: before the schema is dropped: a paused proxy keeps the app's transactions open on the server.
  afterEach(async () => {
    app?.signal('SIGKILL');
    await app?.exited;
    await Promise.all(proxies.map((proxy) => proxy.close()));
    proxies = [];
  });

  afterAll(async () => {
    await clearQueuePrefix(schema);
    await dropSchema(`${schema}_queue`);
    await dropSchema(schema);
  });

  it.each(CASES)(
    `on $adapter with the queue on $queue, ends within ${SHUTDOWN_BOUND_MS} ms when $unreachable does not answer`,
    async ({ adapter, queue, unreachable }) => {
      const database = new URL(TEST_DATABASE_URL);
      const postgres = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
      const redis = await startTcpProxy(TEST_REDIS);
      proxies = [postgres, redis];
      database.host = `127.0.0.1:${postgres.port}`;
      app = ExampleProcess.start(
        'src/main.ts',
        [],
        exampleAppEnvironment(schema, {
          PORT: '0',
          HTTP_ADAPTER: adapter,
          DATABASE_URL: database.toString(),
          OPENSMS_QUEUE_BACKEND: queue,
          OPENSMS_QUEUE_SCHEMA: `${schema}_queue`,
          ...(queue === 'redis' ? { REDIS_URL: `redis://127.0.0.1:${redis.port}` } : {}),
        }),
      );
      const [, listening] = await app.waitForOutput(/Listening on (http:\/\/\S+);/);
      const url = listening.replace('0.0.0.0', '127.0.0.1');
      expect((await postSigned(`${url}/webhooks/sms`, smsPayload({ message_id: `msg_before_${adapter}` }))).status).toBe(200);

      (unreachable === 'Redis' ? redis : postgres).setState('paused');
      // A request that waits for the database while the signal comes, and calls stored (or not) meanwhile.
      const inFlight = fetch(`${url}/messages/msg_before_${adapter}`, { signal: AbortSignal.timeout(SHUTDOWN_BOUND_MS) }).catch(
        () => undefined,
      );
      await postSigned(`${url}/webhooks/sms`, smsPayload({ message_id: `msg_during_${adapter}` }));

      const { exit, afterMs } = await app.terminate(SHUTDOWN_BOUND_MS);
      await inFlight;

      // NOTE: the app ends by raising the signal again once it has closed.
      expect(exit === 'SIGTERM' ? exit : `${exit} after ${afterMs} ms\n${app.text.slice(-3000)}`).toBe('SIGTERM');
      expect(afterMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    },
    120_000,
  );
});
