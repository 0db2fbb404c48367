import type { INestApplication } from '@nestjs/common';
import {
  OpenSmsWebhookService,
  SMS_EVENT_STATES,
  type SmsEventRecord,
  type SmsEventState,
  UnknownSmsEvent,
} from '@opensms/nestjs-webhooks';
import type { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import {
  AuditConsumer,
  CreateHandlerWrites1764400000000,
  HandlerScript,
  HandlerWrite,
  LedgerConsumer,
  SlowConsumer,
} from './fixtures/processing.consumer';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { clearQueuePrefix, openTestQueue, startTestApp, type TestAppOptions, waitFor } from './support/test-app';
import { connectToSchema, createSchema, dropSchema, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/**
 * Processing in one process: retries, per-handler exactly-once writes, dead events and replay,
 * stale events, unknown types, reconciliation, retention, modes and graceful shutdown.
 * Each describe block below is one deployment with its own queue prefix, on this file's schema.
 */
describe('processing', () => {
  const schema = uniqueName('processing');
  const queuePrefixes: string[] = [];
  let db: DataSource;

  /** App options on this file's schema, with the host table and a queue prefix of its own. */
  function hostApp(prefixLabel: string, options: Omit<TestAppOptions, 'schema' | 'queuePrefix'>): TestAppOptions {
    const queuePrefix = `${schema}_${prefixLabel}`;
    if (!queuePrefixes.includes(queuePrefix)) queuePrefixes.push(queuePrefix);
    return {
      schema,
      queuePrefix,
      entities: [HandlerWrite],
      migrations: [CreateHandlerWrites1764400000000],
      ...options,
    };
  }

  /** Posts a signed payload and returns its inbox id. */
  async function post(url: string, fields: Record<string, unknown>): Promise<string> {
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload(fields));
    expect(response.status).toBe(200);
    expect(response.body.duplicate).toBe(false);
    return response.body.id as string;
  }

  async function waitForState(service: OpenSmsWebhookService, id: string, state: SmsEventState): Promise<SmsEventRecord> {
    let row: SmsEventRecord | null = null;
    await waitFor(`inbox ${id} to be ${state}`, async () => (row = await service.findById(id))?.state === state, 30_000);
    return row as unknown as SmsEventRecord;
  }

  /** Handlers whose write for an inbox event is in the host table, one entry per row. */
  async function writesOf(eventId: string): Promise<string[]> {
    const rows: { handler: string }[] = await db.query(
      'SELECT "handler" FROM "host_handler_writes" WHERE "event_id" = $1 ORDER BY "handler"',
      [eventId],
    );
    return rows.map((row) => row.handler);
  }

  /**
   * Stores a `received` event straight into the inbox, as ingest would: not yet queued (in the
   * outbox), or (with `queued`) as the relay leaves it once queued. Returns its id.
   */
  async function insertReceived(messageId: string, { queued = false } = {}): Promise<string> {
    const [{ id }]: { id: string }[] = await db.query(
      `WITH stored AS (
         INSERT INTO "opensms_webhook_events" ("dedupe_key", "event", "message_id", "phone", "status", "occurred_at", "payload")
         VALUES ('sms.delivered:' || $1 || ':2024-01-13T12:00:00Z', 'sms.delivered', $1, '+254712345678', 'delivered',
                 '2024-01-13T12:00:00Z', $2)
         RETURNING "id", "received_at"
       ), state AS (
         INSERT INTO "opensms_webhook_event_states" ("event_id", "state", "received_at") SELECT "id", 'received', "received_at" FROM stored
       ), outbox AS (
         INSERT INTO "opensms_webhook_outbox" ("event_id") SELECT "id" FROM stored WHERE NOT $3::boolean
       )
       SELECT "id" FROM stored`,
      [messageId, JSON.stringify(smsPayload({ message_id: messageId })), queued],
    );
    return id;
  }

  beforeAll(async () => {
    await createSchema(schema);
    db = await connectToSchema(schema);
  });

  afterAll(async () => {
    await db?.destroy();
    for (const prefix of queuePrefixes) await clearQueuePrefix(prefix);
    await dropSchema(schema);
  });

  describe('one app ingesting and working', () => {
    let app: INestApplication;
    let url: string;
    let service: OpenSmsWebhookService;
    let script: HandlerScript;

    beforeAll(async () => {
      ({ app, url } = await startTestApp(
        hostApp('all', { options: { job: { attempts: 3 } }, providers: [HandlerScript, LedgerConsumer, AuditConsumer] }),
      ));
      service = app.get(OpenSmsWebhookService);
      script = app.get(HandlerScript);
    });

    afterAll(async () => {
      await app?.close();
    });

    it('retries a failing handler until it succeeds: processed after 3 attempts, its write committed once', async () => {
      script.failTimes('ledger', 'msg_retry', 2);
      const id = await post(url, { message_id: 'msg_retry' });

      const row = await waitForState(service, id, 'processed');
      expect(row.attempts).toBe(3);
      expect(row.lastError).toBeNull();
      expect(script.callCount('ledger', 'msg_retry')).toBe(3);
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
    });

    it('does not re-run a handler that committed while another one is retried', async () => {
      script.failTimes('audit', 'msg_sibling', 2);
      const id = await post(url, { message_id: 'msg_sibling' });

      const row = await waitForState(service, id, 'processed');
      expect(row.attempts).toBe(3);
      expect(script.callCount('audit', 'msg_sibling')).toBe(3);
      expect(script.callCount('ledger', 'msg_sibling')).toBe(1);
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
    });

    it('marks an event dead with its last error once attempts are spent; replay(id) after the fix processes it', async () => {
      script.breakFor('ledger', 'msg_dead');
      const id = await post(url, { message_id: 'msg_dead' });

      const dead = await waitForState(service, id, 'dead');
      expect(dead.attempts).toBe(3);
      expect(dead.lastError).toContain('LedgerConsumer.record');
      expect(dead.lastError).toContain('ledger is broken for msg_dead');
      expect(await writesOf(id)).toEqual(['audit']);

      script.fix('ledger', 'msg_dead');
      expect(await service.replay(id)).toBe(true);
      const replayed = await waitForState(service, id, 'processed');
      expect(replayed.lastError).toBeNull();
      expect(script.callCount('audit', 'msg_dead')).toBe(1);
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
      expect(await service.replay(id)).toBe(false);
    });

    it('replayDead() replays every dead event', async () => {
      script.breakFor('ledger', 'msg_dead_a');
      script.breakFor('ledger', 'msg_dead_b');
      const ids = [await post(url, { message_id: 'msg_dead_a' }), await post(url, { message_id: 'msg_dead_b' })];
      for (const id of ids) await waitForState(service, id, 'dead');

      script.fix('ledger', 'msg_dead_a');
      script.fix('ledger', 'msg_dead_b');
      expect((await service.replayDead()).sort()).toEqual([...ids].sort());
      for (const id of ids) {
        await waitForState(service, id, 'processed');
        expect(await writesOf(id)).toEqual(['audit', 'ledger']);
      }
      expect(await service.find({ state: 'dead' })).toEqual([]);
    });

    it("makes an event dead at once when a handler throws bullmq's UnrecoverableError", async () => {
      script.failUnrecoverably('ledger', 'msg_unrecoverable');
      const id = await post(url, { message_id: 'msg_unrecoverable' });

      const row = await waitForState(service, id, 'dead');
      expect(row.attempts).toBe(1);
      expect(row.lastError).toContain('ledger cannot ever handle msg_unrecoverable');
      expect(script.callCount('ledger', 'msg_unrecoverable')).toBe(1);
    });

    it('gives a late pending event ctx.stale = true after a later delivered event was processed', async () => {
      const delivered = await post(url, {
        event: 'sms.delivered',
        message_id: 'msg_stale',
        timestamp: '2024-01-13T12:00:05Z',
      });
      await waitForState(service, delivered, 'processed');
      const pending = await post(url, { event: 'sms.pending', message_id: 'msg_stale', timestamp: '2024-01-13T12:00:00Z' });
      await waitForState(service, pending, 'processed');

      const seen: { event: string; stale: boolean }[] = await db.query(
        `SELECT "event", "stale" FROM "host_handler_writes" WHERE "message_id" = 'msg_stale' AND "handler" = 'ledger' ORDER BY "id"`,
      );
      expect(seen).toEqual([
        { event: 'delivered', stale: false },
        { event: 'pending', stale: true },
      ]);
    });

    it("marks an event type this version does not know 'ignored' when no '*' handler exists", async () => {
      const id = await post(url, { event: 'sms.read', message_id: 'msg_unknown' });
      const row = await waitForState(service, id, 'ignored');
      expect(row.processedAt).toBeInstanceOf(Date);
      expect(await writesOf(id)).toEqual([]);
    });

    it('countByState() counts rows in every state', async () => {
      const before = await service.countByState();
      const processed = await post(url, { message_id: 'msg_count' });
      const ignored = await post(url, { event: 'sms.read', message_id: 'msg_count' });
      await waitForState(service, processed, 'processed');
      await waitForState(service, ignored, 'ignored');

      const after = await service.countByState();
      expect(Object.keys(after).sort()).toEqual([...SMS_EVENT_STATES].sort());
      expect(after).toEqual({ ...before, processed: before.processed + 1, ignored: before.ignored + 1 });
    });

    it('the relay queues a stored event that was never queued, without the reconciler', async () => {
      // A row stored while no worker was running: in the inbox, never queued.
      const id = await insertReceived('msg_unqueued');

      await waitForState(service, id, 'processed');
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
      expect(await service.reconcile(0)).toBe(0);
    });

    it('reconcile(0) queues again a queued, unfinished event whose job was lost', async () => {
      // A row the relay had queued, whose job then vanished (Redis flushed): no job will run it.
      const id = await insertReceived('msg_orphan', { queued: true });

      expect(await service.reconcile(0)).toBe(1);
      await waitForState(service, id, 'processed');
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
      expect(await service.reconcile(0)).toBe(0);
    });

    it('reconcile(0) requeues an unfinished event whose job already ended', async () => {
      script.breakFor('ledger', 'msg_stuck');
      const id = await post(url, { message_id: 'msg_stuck' });
      await waitForState(service, id, 'dead');
      // The job failed for good, but the row says the event still has work ahead (as when the
      // database was down while the last attempt failed): no job would ever run it again.
      await db.query(`UPDATE "opensms_webhook_event_states" SET "state" = 'failed' WHERE "event_id" = $1`, [id]);

      script.fix('ledger', 'msg_stuck');
      expect(await service.reconcile(0)).toBe(1);
      await waitForState(service, id, 'processed');
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
    });

    it('prune(days) deletes only processed and ignored rows received before then', async () => {
      script.failUnrecoverably('ledger', 'msg_old_dead');
      const oldProcessed = await post(url, { message_id: 'msg_old_processed' });
      const oldIgnored = await post(url, { event: 'sms.read', message_id: 'msg_old_ignored' });
      const oldDead = await post(url, { message_id: 'msg_old_dead' });
      const recentProcessed = await post(url, { message_id: 'msg_recent_processed' });
      await waitForState(service, oldProcessed, 'processed');
      await waitForState(service, oldIgnored, 'ignored');
      await waitForState(service, oldDead, 'dead');
      await waitForState(service, recentProcessed, 'processed');
      await db.query(`UPDATE "opensms_webhook_events" SET "received_at" = now() - interval '40 days' WHERE "id" = ANY($1)`, [
        [oldProcessed, oldIgnored, oldDead],
      ]);

      expect(await service.prune(30)).toBe(2);
      expect(await service.prune(30)).toBe(0);
      expect(await service.findById(oldProcessed)).toBeNull();
      expect(await service.findById(oldIgnored)).toBeNull();
      expect((await service.findById(oldDead))?.state).toBe('dead');
      expect((await service.findById(recentProcessed))?.state).toBe('processed');
    });
  });

  describe("an app with a '*' handler", () => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await startTestApp(hostApp('wildcard', { providers: [RecordingConsumer] })));
    });

    afterAll(async () => {
      await app?.close();
    });

    it('hands an event type this version does not know to it as an UnknownSmsEvent, and processes it', async () => {
      const id = await post(url, { event: 'sms.read', message_id: 'msg_wildcard' });
      await waitForState(app.get(OpenSmsWebhookService), id, 'processed');

      const calls = app.get(RecordingConsumer).calls.filter((call) => call.context.eventId === id);
      expect(calls.map((call) => call.handler)).toEqual(['*']);
      const event = calls[0].event as UnknownSmsEvent;
      expect(event).toBeInstanceOf(UnknownSmsEvent);
      expect(event).toMatchObject({ type: 'unknown', name: 'sms.read', messageId: 'msg_wildcard' });
      expect(event.raw).toMatchObject({ event: 'sms.read', message_id: 'msg_wildcard' });
    });
  });

  describe("modes 'ingest' and 'worker' on one schema and queue", () => {
    const queueName = 'sms-modes';
    const apps: INestApplication[] = [];
    let queue: Queue;

    afterAll(async () => {
      await queue?.close();
      for (const app of apps) await app.close();
    });

    it('an ingest-only app stores without queueing or processing; a worker-only app then queues and processes', async () => {
      const providers = [HandlerScript, LedgerConsumer, AuditConsumer];
      const ingestOptions = hostApp('modes', { providers, extras: { mode: 'ingest', queueName } });
      const ingest = await startTestApp(ingestOptions);
      apps.push(ingest.app);
      queue = openTestQueue(queueName, ingestOptions.queuePrefix);

      const id = await post(ingest.url, { message_id: 'msg_modes' });
      expect((await ingest.app.get(OpenSmsWebhookService).findById(id))?.state).toBe('received');
      // Ingest only stores: the worker's relay puts the job on the queue.
      expect(await queue.getJob(id)).toBeUndefined();
      await expect(ingest.app.get(OpenSmsWebhookService).reconcile(0)).rejects.toThrow(/worker/);

      const worker = await startTestApp(hostApp('modes', { providers, extras: { mode: 'worker', queueName } }));
      apps.push(worker.app);
      await waitForState(worker.app.get(OpenSmsWebhookService), id, 'processed');
      expect(await writesOf(id)).toEqual(['audit', 'ledger']);
      expect(worker.app.get(HandlerScript).callCount('ledger', 'msg_modes')).toBe(1);
      expect(ingest.app.get(HandlerScript).callCount('ledger', 'msg_modes')).toBe(0);

      const toWorker = await postSigned(`${worker.url}/webhooks/sms`, smsPayload({ message_id: 'msg_modes_2' }));
      expect(toWorker.status).toBe(404);
    });
  });

  describe('graceful shutdown', () => {
    it('lets an in-flight handler finish before app.close() resolves', async () => {
      const { app, url } = await startTestApp(
        hostApp('shutdown', { providers: [SlowConsumer], options: { worker: { shutdownGraceMs: 15_000 } } }),
      );
      let id: string;
      try {
        id = await post(url, { message_id: 'msg_shutdown' });
        await waitFor('the slow handler to start', () => app.get(SlowConsumer).started.includes('msg_shutdown'));
      } finally {
        await app.close();
      }

      const [row]: { state: string }[] = await db.query('SELECT "state" FROM "opensms_webhook_event_states" WHERE "event_id" = $1', [id]);
      expect(row.state).toBe('processed');
      expect(await writesOf(id)).toEqual(['slow']);
    });
  });
});
