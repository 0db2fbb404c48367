import { type DynamicModule, Module } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/metrics';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { Registry } from 'prom-client';
import type { DataSource, QueryRunner } from 'typeorm';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { LogCapture } from './support/log-capture';
import { RawHttpConnection, type RawHttpResponse } from './support/raw-http';
import { type HttpAdapterName, TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { connectToSchema } from './support/test-database';
import { postSigned, smsPayload, type WebhookResponse } from './support/webhook-client';

/** Batches the ingest micro-batcher sends at once; while they all wait, each holds the one call it was sent with. */
const BATCHES_IN_FLIGHT = 4;
const LIMIT = 3;

/** Makes every inbox insert wait, behind a lock held in a transaction of its own, until {@link releaseInboxInserts}. */
async function holdInboxInserts(db: DataSource): Promise<QueryRunner> {
  const blocker = db.createQueryRunner();
  await blocker.connect();
  await blocker.startTransaction();
  await blocker.query('LOCK TABLE "opensms_webhook_events" IN EXCLUSIVE MODE');
  return blocker;
}

/** Ends what {@link holdInboxInserts} holds, if it still does. */
async function releaseInboxInserts(blocker: QueryRunner | undefined): Promise<void> {
  if (blocker?.isTransactionActive) await blocker.rollbackTransaction();
  await blocker?.release();
}

describe('ingest over its bound: 503 + Retry-After at once, every 200 stored and processed', () => {
  const host = useTestApp('overload', {
    providers: [RecordingConsumer],
    options: { ingest: { maxPendingCalls: LIMIT, storeTimeoutMs: 60_000, retryAfterSeconds: 7 } },
  });
  let db: DataSource;
  let blocker: QueryRunner;

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
  });

  afterAll(async () => {
    await releaseInboxInserts(blocker);
    await db?.destroy();
  });

  it('refuses the calls beyond the limit while the inbox is slow, and accepts again once it is not', async () => {
    // Inserts wait behind this lock: calls pile up in the micro-batcher.
    blocker = await holdInboxInserts(db);

    const answered: WebhookResponse[] = [];
    const total = BATCHES_IN_FLIGHT + LIMIT + 5;
    const calls = Array.from({ length: total }, (_, index) =>
      postSigned(host.endpoint, smsPayload({ message_id: `msg_overload_${index}` })).then((response) => {
        answered.push(response);
        return response;
      }),
    );
    await waitFor('the refused calls answered', () => answered.length === total - BATCHES_IN_FLIGHT - LIMIT);
    expect(answered.map((response) => response.status)).toEqual(answered.map(() => 503));
    expect(answered.map((response) => response.headers.get('retry-after'))).toEqual(answered.map(() => '7'));

    await blocker.commitTransaction();
    const responses = await Promise.all(calls);

    const accepted = responses.filter((response) => response.status === 200);
    expect(accepted).toHaveLength(BATCHES_IN_FLIGHT + LIMIT);
    const service = host.app.get(OpenSmsWebhookService);
    const ids = accepted.map((response) => response.body.id as string);
    await waitFor('every accepted event processed', async () =>
      (await Promise.all(ids.map((id) => service.findById(id)))).every((row) => row?.state === 'processed'),
    );
    const [{ count }]: { count: number }[] = await db.query('SELECT count(*)::int AS "count" FROM "opensms_webhook_events"');
    expect(count).toBe(BATCHES_IN_FLIGHT + LIMIT);

    const after = await postSigned(host.endpoint, smsPayload({ message_id: 'msg_overload_after' }));
    expect(after.status).toBe(200);
  });
});

/** Calls that arrive while the loop is busy; one per connection, all in the server's sockets before it can read them. */
const LATE_CALLS = 6;
/** The bound of these apps, and a busy spell far beyond it, so that the stalls of a shared machine come near neither. */
const MAX_EVENT_LOOP_DELAY_MS = 1000;
const BUSY_MS = 3000;

/** Keeps this process's event loop busy for `ms`: the test apps run in the spec's process, so theirs is the same loop. */
function keepEventLoopBusy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer, no socket is served meanwhile
  }
}

/** Metrics on a registry of the spec's, to read the counted answers. */
function metricsOn(registry: Registry): DynamicModule {
  @Module({ imports: [OpenSmsWebhookMetricsModule.forRoot({ registry, inboxCacheMs: 0 })] })
  class AdmissionMetricsModule {}
  return { module: AdmissionMetricsModule };
}

async function unavailableCalls(registry: Registry): Promise<number> {
  const calls = await registry.getSingleMetric('opensms_webhook_calls_total')!.get();
  return calls.values.find((sample) => sample.labels.outcome === 'unavailable')?.value ?? 0;
}

/**
 * Opens `count` keep-alive connections and makes sure the server holds each (one answered request
 * apiece), writes one signed call of each payload on them, then keeps the loop busy for `BUSY_MS`:
 * every call is read only once the loop is free again, and late. Resolves to the answers.
 */
async function callsWhileBusy(url: string, payloads: readonly Record<string, unknown>[]): Promise<RawHttpResponse[]> {
  const connections = await Promise.all(payloads.map(() => RawHttpConnection.open(url)));
  try {
    for (const connection of connections) connection.send({ method: 'GET', target: '/warm-up', headers: {} });
    await Promise.all(connections.map((connection) => connection.response()));
    const signed = payloads.map((payload) => signWebhook(payload, TEST_SECRET));
    connections.forEach((connection, index) =>
      connection.send({ method: 'POST', target: '/webhooks/sms', headers: signed[index].headers, body: signed[index].body }),
    );
    keepEventLoopBusy(BUSY_MS);
    return await Promise.all(connections.map((connection) => connection.response()));
  } finally {
    connections.forEach((connection) => connection.close());
  }
}

/** Delivers a call again after each 503, as OpenSMS does (without its `Retry-After` wait), until it is answered otherwise. */
async function deliverUntilTaken(endpoint: string, payload: Record<string, unknown>): Promise<WebhookResponse> {
  let response: WebhookResponse | undefined;
  await waitFor('the call answered other than 503', async () => {
    response = await postSigned(endpoint, payload);
    return response.status !== 503;
  });
  return response!;
}

async function storedCount(db: DataSource, messageIds: readonly string[]): Promise<number> {
  const [{ count }]: { count: number }[] = await db.query(
    'SELECT count(*)::int AS "count" FROM "opensms_webhook_events" WHERE "message_id" = ANY($1)',
    [messageIds],
  );
  return count;
}

describe.each<HttpAdapterName>(['express', 'fastify'])(
  'ingest while the event loop is late (%s): 503 + Retry-After before reading',
  (adapter) => {
    const registry = new Registry();
    const logs = new LogCapture();
    const host = useTestApp(`admission_${adapter}`, {
      adapter,
      providers: [RecordingConsumer],
      imports: [metricsOn(registry)],
      logger: logs,
      options: { ingest: { maxEventLoopDelayMs: MAX_EVENT_LOOP_DELAY_MS, retryAfterSeconds: 7 } },
    });
    let db: DataSource;

    beforeAll(async () => {
      db = await connectToSchema(host.schema);
    });

    afterAll(async () => {
      await db?.destroy();
    });

    it('refuses the calls read while the loop is late, stores none of them, and takes them once delivered again', async () => {
      const payloads = Array.from({ length: LATE_CALLS }, (_, index) => smsPayload({ message_id: `msg_late_${adapter}_${index}` }));
      const messageIds = payloads.map((payload) => payload.message_id as string);
      const unavailableBefore = await unavailableCalls(registry);

      const answers = await callsWhileBusy(host.url, payloads);

      expect(answers.map((answer) => answer.status)).toEqual(payloads.map(() => 503));
      expect(answers.map((answer) => answer.headers['retry-after'])).toEqual(payloads.map(() => '7'));
      expect(JSON.parse(answers[0].body)).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The webhook receiver is busy; the call was not read and not stored. Deliver it again later.',
      });
      expect(await storedCount(db, messageIds)).toBe(0);
      expect((await unavailableCalls(registry)) - unavailableBefore).toBe(LATE_CALLS);
      expect(logs.lines.filter((line) => /^Event loop \d+ ms behind \(ingest\.maxEventLoopDelayMs: 1000\)/.test(line))).toHaveLength(1);

      // OpenSMS delivers each refused call again, until it is taken (at once, unless the machine itself stalls the loop).
      const delivered = await Promise.all(payloads.map((payload) => deliverUntilTaken(host.endpoint, payload)));
      expect(delivered.map((response) => response.status)).toEqual(payloads.map(() => 200));
      expect(await storedCount(db, messageIds)).toBe(LATE_CALLS);
      const service = host.app.get(OpenSmsWebhookService);
      await waitFor('every accepted event processed', async () =>
        (await Promise.all(delivered.map((response) => service.findById(response.body.id)))).every((row) => row?.state === 'processed'),
      );
      const handled = host.app.get(RecordingConsumer).calls.filter((call) => call.handler === '*');
      expect(handled.map((call) => call.event.messageId).sort()).toEqual([...messageIds].sort());
    });
  },
);

describe.each<HttpAdapterName>(['express', 'fastify'])('ingest with the event-loop bound off (%s)', (adapter) => {
  const host = useTestApp(`admission_off_${adapter}`, { adapter, options: { ingest: { maxEventLoopDelayMs: 0 } } });
  let db: DataSource;

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('takes and stores the calls read while the loop is late', async () => {
    const payloads = Array.from({ length: LATE_CALLS }, (_, index) => smsPayload({ message_id: `msg_unbounded_${adapter}_${index}` }));
    const answers = await callsWhileBusy(host.url, payloads);
    expect(answers.map((answer) => answer.status)).toEqual(payloads.map(() => 200));
    expect(
      await storedCount(
        db,
        payloads.map((payload) => payload.message_id as string),
      ),
    ).toBe(LATE_CALLS);
  });
});

describe.each<HttpAdapterName>(['express', 'fastify'])('ingest while calls wait for the inbox too long (%s)', (adapter) => {
  const host = useTestApp(`inbox_wait_${adapter}`, {
    adapter,
    providers: [RecordingConsumer],
    options: { ingest: { maxInboxWaitMs: 300, storeTimeoutMs: 60_000, retryAfterSeconds: 7 } },
  });
  let db: DataSource;
  let blocker: QueryRunner;

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
  });

  afterAll(async () => {
    await releaseInboxInserts(blocker);
    await db?.destroy();
  });

  it('refuses new calls unread once one has waited longer than the bound, stores none of them, and takes calls again once the inbox answers', async () => {
    blocker = await holdInboxInserts(db);

    // Every insert slot holds a call, and one more waits behind them: its wait grows for as long as the lock is held.
    const held = Array.from({ length: BATCHES_IN_FLIGHT + 1 }, (_, index) => smsPayload({ message_id: `msg_held_${adapter}_${index}` }));
    const heldCalls = held.map((payload) => postSigned(host.endpoint, payload));
    // One more call each poll, until one is refused; those taken before the bound passed wait for the lock as well.
    const probes: { payload: Record<string, unknown>; call: Promise<WebhookResponse> }[] = [];
    let refusedOne = false;
    await waitFor('a call refused for its wait on the inbox', () => {
      const payload = smsPayload({ message_id: `msg_probe_${adapter}_${probes.length}` });
      const call = postSigned(host.endpoint, payload);
      void call.then((response) => (refusedOne ||= response.status === 503));
      probes.push({ payload, call });
      return refusedOne;
    });
    await blocker.commitTransaction();

    const probed = await Promise.all(probes.map(async ({ payload, call }) => ({ payload, response: await call })));
    const refused = probed.filter(({ response }) => response.status === 503);
    for (const { response } of refused) {
      expect(response.headers.get('retry-after')).toBe('7');
      expect(response.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/receiver is busy; the call was not read/) });
    }
    const refusedIds = refused.map(({ payload }) => payload.message_id as string);
    const answers = [...(await Promise.all(heldCalls)), ...probed.map(({ response }) => response)];
    const accepted = answers.filter((response) => response.status === 200);
    expect(accepted).toHaveLength(answers.length - refused.length);
    const service = host.app.get(OpenSmsWebhookService);
    await waitFor('every accepted event processed', async () =>
      (await Promise.all(accepted.map((response) => service.findById(response.body.id)))).every((row) => row?.state === 'processed'),
    );
    expect(await storedCount(db, refusedIds)).toBe(0);
    const delivered = await Promise.all(refused.map(({ payload }) => deliverUntilTaken(host.endpoint, payload)));
    expect(delivered.map((response) => response.status)).toEqual(refused.map(() => 200));
    expect(await storedCount(db, refusedIds)).toBe(refused.length);
  });
});
