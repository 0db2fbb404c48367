import type { INestApplication } from '@nestjs/common';
import { OPENSMS_WEBHOOK_MIGRATIONS } from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import type { DataSource } from 'typeorm';
import { CreateFaultEffects1764316900000 } from './fixtures/effect-recorder.consumer';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { captureCliOutput } from './support/cli-process';
import { acceptedIds, type Delivery, deliver, deliverAll, statusUpdates } from './support/delivery';
import type { ChildApp } from './support/child-app';
import { FAST_RECONCILER, FAST_TAKEOVER, type FaultScope, useFaultScope } from './support/fault-scope';
import { LogCapture } from './support/log-capture';
import { PgBouncerProcess } from './support/pgbouncer';
import { clearQueuePrefix, startTestApp, waitFor } from './support/test-app';
import {
  connectToSchema,
  createSchema,
  dropSchema,
  queueSchemaOf,
  TEST_DATABASE_URL,
  TEST_QUEUE_BACKEND,
  TEST_REDIS,
  uniqueName,
} from './support/test-database';
import { smsPayload } from './support/webhook-client';

/**
 * The whole pipeline with the inbox's DataSource behind PgBouncer in transaction pooling mode (a
 * few server connections shared by every client): migrations, ingest, the batched worker, the
 * relay with and without `worker.listenUrl`, crashes of a worker and of the pooler, and the CLI.
 * BullMQ's PostgreSQL backend keeps a direct connection (it needs a session, see docs/operations.md).
 */
describe('through PgBouncer in transaction mode', () => {
  let pgbouncer: PgBouncerProcess;

  beforeAll(async () => {
    pgbouncer = await PgBouncerProcess.start();
  });

  afterAll(async () => {
    await pgbouncer?.stop();
  });

  describe('ingest and the batched worker', () => {
    const scope = useFaultScopeThroughPooler('pgbouncer_pipeline');
    let db: DataSource;

    afterAll(async () => {
      await db?.destroy();
    });

    it('runs the migrations through the pooler', async () => {
      await scope.start({ databaseUrl: pgbouncer.url });
      db = await connectToSchema(scope.schema);
      const migrations: { name: string }[] = await db.query(`SELECT "name" FROM "${scope.schema}"."migrations" ORDER BY "id"`);
      expect(migrations.map((migration) => migration.name).sort()).toEqual(
        [...OPENSMS_WEBHOOK_MIGRATIONS.map((migration) => migration.name), CreateFaultEffects1764316900000.name].sort(),
      );
      expect((await scope.inspector.inboxDefinition()).columns.length).toBeGreaterThan(0);
    });

    it('answers signed calls 200, stores them, and runs each handler once, one message at a time, in order', async () => {
      const app = await scope.start({ databaseUrl: pgbouncer.url });
      const stream = statusUpdates('pgb_stream', 240, 24);
      const deliveries = await deliverAll(app.webhookUrl, stream, { concurrency: 12 });
      expect(deliveries.filter((delivery) => delivery.status !== 200)).toEqual([]);
      const ids = acceptedIds(deliveries);
      expect(ids).toHaveLength(stream.length);
      const again = await deliver(app.webhookUrl, stream[0]);
      expect({ status: again.status, id: again.id, duplicate: again.duplicate }).toEqual({
        status: 200,
        id: deliveries[0].id,
        duplicate: true,
      });

      await waitFor('every event processed', async () => (await scope.inspector.countInState('processed', ids)) === ids.length, 60_000);
      expect(await scope.inspector.tallyEffects(ids)).toEqual({ exactlyOnce: ids.length, missing: [], duplicated: [], unexpected: [] });
      expect(await scope.inspector.overlappingRuns()).toBe(0);
      expect(await scope.inspector.messagesWithBrokenSequence()).toBe(0);
      expect(await scope.inspector.wrongStaleFlags()).toBe(0);
      await app.kill();
    }, 120_000);
  });

  /** A fault scope through the pooler: fast takeover and reconciler, attempts enough to outlast a restart of the pooler. */
  function useFaultScopeThroughPooler(label: string): FaultScope {
    return useFaultScope(label, {
      options: { worker: { ...FAST_TAKEOVER, ...FAST_RECONCILER }, job: { attempts: 100 } },
      handlerDelayMs: 2,
    });
  }

  /**
   * Delivers a stream through an app on the pooler while `fault` strikes (it may return the app that
   * takes over), delivers again what was not answered 200, as OpenSMS does, and checks that every
   * event was processed exactly once. Resolves the app that ran last.
   */
  async function streamThrough(scope: FaultScope, label: string, fault: (app: ChildApp) => Promise<ChildApp | void>): Promise<ChildApp> {
    const stream = statusUpdates(label, 240, 24);
    const app = await scope.start({ databaseUrl: pgbouncer.url });
    let answered = 0;
    const sending = deliverAll(app.webhookUrl, stream, { concurrency: 8, onDelivery: () => (answered += 1) });
    await waitFor('a third of the stream answered', () => answered >= 80);
    const target = (await fault(app)) ?? app;
    const firstRound = await sending;
    const laterRounds: Delivery[] = [];
    let pending = firstRound.filter((delivery) => delivery.status !== 200).map((delivery) => delivery.payload);
    for (let round = 0; pending.length > 0 && round < 20; round += 1) {
      const answers = await deliverAll(target.webhookUrl, pending);
      laterRounds.push(...answers);
      pending = answers.filter((delivery) => delivery.status !== 200).map((delivery) => delivery.payload);
    }
    expect(pending).toEqual([]);
    const ids = acceptedIds([...firstRound, ...laterRounds]);
    expect(ids).toHaveLength(stream.length);
    await waitFor(
      'every acknowledged event processed',
      async () => (await scope.inspector.countInState('processed', ids)) === ids.length,
      90_000,
    );
    expect(await scope.inspector.tallyEffects(ids)).toEqual({ exactlyOnce: ids.length, missing: [], duplicated: [], unexpected: [] });
    expect(await scope.inspector.overlappingRuns()).toBe(0);
    expect(await scope.inspector.messagesWithBrokenSequence()).toBe(0);
    return target;
  }

  describe('a worker killed mid-stream', () => {
    const scope = useFaultScopeThroughPooler('pgbouncer_kill');

    it('loses nothing: its successor processes every acknowledged event once', async () => {
      const successor = await streamThrough(scope, 'pgb_kill', async (app) => {
        await app.kill();
        return scope.start({ databaseUrl: pgbouncer.url });
      });
      await successor.kill();
    }, 180_000);
  });

  describe('the pooler restarted mid-stream', () => {
    const scope = useFaultScopeThroughPooler('pgbouncer_restart');

    it('loses nothing: every acknowledged event is processed once', async () => {
      const app = await streamThrough(scope, 'pgb_restart', () => pgbouncer.restart());
      await app.kill();
    }, 180_000);
  });

  describe('the relay', () => {
    const schema = uniqueName('pgbouncer_relay');
    const apps: INestApplication[] = [];
    let ingestUrl: string;

    beforeAll(async () => {
      await createSchema(schema);
      const ingest = await startTestApp({ schema, queuePrefix: schema, databaseUrl: pgbouncer.url, extras: { mode: 'ingest' } });
      apps.push(ingest.app);
      ingestUrl = `${ingest.url}/webhooks/sms`;
    });

    afterAll(async () => {
      for (const app of apps.reverse()) await app.close();
      await clearQueuePrefix(schema);
      await dropSchema(schema);
    });

    /** Starts a worker-only app through the pooler, its logs and handler calls recorded. */
    async function startWorker(listenUrl?: string) {
      const logs = new LogCapture();
      const { app } = await startTestApp({
        schema,
        queuePrefix: schema,
        databaseUrl: pgbouncer.url,
        extras: { mode: 'worker' },
        options: { worker: { listenUrl } },
        providers: [RecordingConsumer],
        logger: logs,
      });
      apps.push(app);
      return { app, logs, consumer: app.get(RecordingConsumer) };
    }

    async function processedBy(consumer: RecordingConsumer, messageId: string): Promise<void> {
      const response = await deliver(ingestUrl, smsPayload({ message_id: messageId }));
      expect(response.status).toBe(200);
      await waitFor(`the handlers of ${messageId} to run`, () => consumer.calls.some((call) => call.event.messageId === messageId));
    }

    it('without worker.listenUrl, warns that LISTEN hears nothing through the pooler, and still queues events on its round', async () => {
      const { app, logs, consumer } = await startWorker();
      await waitFor('the start-up warning', () => logs.lines.some((line) => line.includes('did not hear a NOTIFY')));
      expect(logs.lines.filter((line) => line.includes('did not hear a NOTIFY'))).toEqual([
        expect.stringContaining('Set worker: { listenUrl: "postgres://…" } to a direct PostgreSQL URL'),
      ]);
      await processedBy(consumer, 'pgb_relay_timer');
      await app.close();
      apps.splice(apps.indexOf(app), 1);
    });

    it('with worker.listenUrl straight to PostgreSQL, listens there: no warning, events queued as they arrive', async () => {
      const listenUrl = new URL(TEST_DATABASE_URL);
      listenUrl.searchParams.set('application_name', 'pgb_relay_listener');
      const { logs, consumer } = await startWorker(listenUrl.toString());
      const db = await connectToSchema(schema);
      try {
        await waitFor('the relay to LISTEN on a session of PostgreSQL itself', async () => {
          const sessions: { query: string }[] = await db.query(`SELECT "query" FROM pg_stat_activity WHERE "application_name" = $1`, [
            'pgb_relay_listener',
          ]);
          return sessions.some((session) => session.query.startsWith('LISTEN "opensms_webhook_'));
        });
      } finally {
        await db.destroy();
      }
      await processedBy(consumer, 'pgb_relay_listen');
      expect(logs.lines.filter((line) => line.includes('LISTEN'))).toEqual([]);
    });
  });

  describe('the command line', () => {
    const scope = useFaultScope('pgbouncer_cli');

    it('status and replay work through the pooler', async () => {
      const app = await scope.start({ databaseUrl: pgbouncer.url });
      const accepted = await deliver(app.webhookUrl, smsPayload({ message_id: 'pgb_cli' }));
      expect(accepted.status).toBe(200);
      await waitFor('the event processed', async () => (await scope.inspector.countInState('processed', [accepted.id!])) === 1);
      const db = await connectToSchema(scope.schema);
      try {
        // NOTE: an event whose attempts were spent, as a handler that kept failing leaves it.
        await db.query(`UPDATE "opensms_webhook_event_states" SET "state" = 'dead', "completed_handlers" = '{}' WHERE "event_id" = $1`, [
          accepted.id,
        ]);
      } finally {
        await db.destroy();
      }
      const inbox = ['--database-url', pgbouncer.url, '--schema', scope.schema];
      const queue =
        TEST_QUEUE_BACKEND === 'postgres'
          ? ['--queue-backend', 'postgres', '--queue-database-url', TEST_DATABASE_URL, '--queue-schema', queueSchemaOf(scope.schema)]
          : ['--redis-url', `redis://${TEST_REDIS.host}:${TEST_REDIS.port}`, '--queue-prefix', scope.schema];

      const status = captureCliOutput();
      expect(await runCli(['status', ...inbox, ...queue], status, {})).toBe(0);
      expect(status.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^dead +1$/), 'processing running']));

      const replay = captureCliOutput();
      expect(await runCli(['replay', ...inbox, '--id', accepted.id!], replay, {})).toBe(0);
      expect(replay.lines).toEqual([`Replayed 1 event(s): ${accepted.id}`]);
      await waitFor(
        'the replayed event processed again',
        async () => (await scope.inspector.countInState('processed', [accepted.id!])) === 1,
      );
      const effects = await scope.inspector.tallyEffects([accepted.id!]);
      expect(effects.duplicated.sort()).toEqual([`${accepted.id}:first`, `${accepted.id}:second`]);
      await app.kill();
    });
  });
});
