import { OpenSmsWebhookService, type SmsEventRecord } from '@opensms/nestjs-webhooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { SmsEventDispatcher } from '../libs/opensms-webhook/src/dispatch/sms-event.dispatcher';
import { SmsEventLifecycle } from '../libs/opensms-webhook/src/inbox/sms-event.lifecycle';
import { BatchProbe, BatchProbeConsumer } from './fixtures/batch-probe.consumer';
import { CreateHandlerWrites1764400000000, HandlerWrite } from './fixtures/processing.consumer';
import { useTestApp, waitFor } from './support/test-app';
import { connectToSchema } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/**
 * Batched dispatch: events whose jobs run at the same time share one transaction, and still behave
 * as if processed one after another. A test holds the worker's two batch lanes with `gate_*` events,
 * queues the events under test, then opens the gate so that they go as one batch.
 */
describe('dispatch in batches', () => {
  const scope = useTestApp('dispatch', {
    providers: [BatchProbe, BatchProbeConsumer],
    entities: [HandlerWrite],
    migrations: [CreateHandlerWrites1764400000000],
    options: { job: { attempts: 3 } },
  });
  let db: DataSource;
  let probe: BatchProbe;
  let service: OpenSmsWebhookService;
  let dispatched: jest.SpyInstance;

  beforeAll(async () => {
    db = await connectToSchema(scope.schema);
    probe = scope.app.get(BatchProbe);
    service = scope.app.get(OpenSmsWebhookService);
    dispatched = jest.spyOn(scope.app.get(SmsEventDispatcher), 'dispatch');
  });

  afterAll(async () => {
    probe?.openGate();
    await db?.destroy();
  });

  async function post(fields: Record<string, unknown>): Promise<string> {
    const response = await postSigned(scope.endpoint, smsPayload(fields));
    expect(response.status).toBe(200);
    return response.body.id as string;
  }

  async function waitUntilFinished(ids: readonly string[]): Promise<SmsEventRecord[]> {
    const rows = new Map<string, SmsEventRecord | null>();
    await waitFor(
      `${ids.length} event(s) processed`,
      async () => {
        for (const id of ids) rows.set(id, await service.findById(id));
        return ids.every((id) => rows.get(id)?.state === 'processed');
      },
      30_000,
    );
    return ids.map((id) => rows.get(id)!);
  }

  /** Holds both batch lanes of the worker in a handler, until `probe.openGate()`. */
  async function holdTheWorker(label: string): Promise<string[]> {
    probe.closeGate();
    const gates = [await post({ message_id: `gate_${label}_1` }), await post({ message_id: `gate_${label}_2` })];
    await waitFor('both lanes held at the gate', () => probe.waitingAtGate === 2);
    return gates;
  }

  /** Posts events one by one and waits until the worker has handed every job to the dispatcher. */
  async function queueWhileHeld(payloads: Record<string, unknown>[]): Promise<string[]> {
    const before = dispatched.mock.calls.length;
    const ids: string[] = [];
    for (const fields of payloads) ids.push(await post(fields));
    await waitFor('every job handed to the dispatcher', () => dispatched.mock.calls.length === before + payloads.length);
    return ids;
  }

  /** Host rows per `event:handler` of the given events. */
  async function writesOf(ids: readonly string[]): Promise<Record<string, number>> {
    const rows: { key: string; count: number }[] = await db.query(
      `SELECT "event_id" || ':' || "handler" AS "key", count(*)::int AS "count"
         FROM "host_handler_writes" WHERE "event_id" = ANY($1) GROUP BY 1`,
      [ids],
    );
    return Object.fromEntries(rows.map(({ key, count }) => [key, count]));
  }

  it("commits the other events of a batch once when one event's handler fails, then re-runs only that handler", async () => {
    const gates = await holdTheWorker('failure');
    probe.failTimes('second', 'batch_3', 1);
    const messages = Array.from({ length: 6 }, (_, index) => `batch_${index}`);
    const ids = await queueWhileHeld(messages.map((message_id) => ({ message_id })));
    probe.openGate();

    const rows = await waitUntilFinished([...gates, ...ids]);
    const firstRuns = ids.map((id) => probe.calls.find((call) => call.eventId === id && call.handler === 'first')!);
    expect(new Set(firstRuns.map((call) => call.txid)).size).toBe(1);

    const callCounts = messages.map((message) => [probe.callsOf(message, 'first').length, probe.callsOf(message, 'second').length]);
    expect(callCounts).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 2],
      [1, 1],
      [1, 1],
    ]);
    expect(probe.callsOf('batch_3', 'second').map((call) => call.failed)).toEqual([true, false]);
    expect(await writesOf(ids)).toEqual(
      Object.fromEntries(
        ids.flatMap((id) => [
          [`${id}:first`, 1],
          [`${id}:second`, 1],
        ]),
      ),
    );
    expect(rows.slice(gates.length).map((row) => [row.attempts, row.lastError])).toEqual([
      [1, null],
      [1, null],
      [1, null],
      [2, null],
      [1, null],
      [1, null],
    ]);
  });

  it('applies a burst of one message in timestamp order within a batch, each with the right ctx.stale', async () => {
    const [laterAlready] = [await post({ message_id: 'burst_late', timestamp: '2024-01-13T12:00:09Z' })];
    await waitUntilFinished([laterAlready]);

    const gates = await holdTheWorker('burst');
    const burst = ['12:00:03', '12:00:01', '12:00:04', '12:00:02'].map((time, index) => ({
      event: index % 2 === 0 ? 'sms.delivered' : 'sms.pending',
      message_id: 'burst',
      timestamp: `2024-01-13T${time}Z`,
    }));
    const late = ['12:00:06', '12:00:05'].map((time) => ({ message_id: 'burst_late', timestamp: `2024-01-13T${time}Z` }));
    const ids = await queueWhileHeld([...burst, ...late]);
    probe.openGate();
    await waitUntilFinished([...gates, ...ids]);

    const runs = probe.callsOf('burst', 'first');
    expect(runs.map((call) => [call.occurredAt, call.stale, call.earlierWrites])).toEqual([
      ['2024-01-13T12:00:01.000Z', false, 0],
      ['2024-01-13T12:00:02.000Z', false, 1],
      ['2024-01-13T12:00:03.000Z', false, 2],
      ['2024-01-13T12:00:04.000Z', false, 3],
    ]);
    const lateRuns = probe.callsOf('burst_late', 'first').slice(1);
    expect(lateRuns.map((call) => [call.occurredAt, call.stale, call.earlierWrites])).toEqual([
      ['2024-01-13T12:00:05.000Z', true, 1],
      ['2024-01-13T12:00:06.000Z', true, 2],
    ]);
    expect(new Set([...runs, ...lateRuns].map((call) => call.txid)).size).toBe(1);

    const straggler = await post({ event: 'sms.pending', message_id: 'burst', timestamp: '2024-01-13T12:00:00Z' });
    await waitUntilFinished([straggler]);
    expect(probe.callsOf('burst', 'first').at(-1)).toMatchObject({ eventId: straggler, stale: true, earlierWrites: 4 });
    expect(await writesOf([...ids, straggler])).toEqual(
      Object.fromEntries(
        [...ids, straggler].flatMap((id) => [
          [`${id}:first`, 1],
          [`${id}:second`, 1],
        ]),
      ),
    );
  });

  it("plans the claim's stale check as a lookup in the message index, before and after ANALYZE", async () => {
    const events = `"${scope.schema}"."opensms_webhook_events"`;
    await db.query(
      `WITH stored AS (
         INSERT INTO ${events} ("dedupe_key", "event", "message_id", "occurred_at", "payload")
         SELECT 'plan:' || n, 'sms.delivered', 'plan_' || (n % 500), timestamptz '2024-01-13T12:00:00Z' + n * interval '1 second',
                '{}'::jsonb
           FROM generate_series(1, 20000) AS n
         RETURNING "id", "received_at"
       )
       INSERT INTO "${scope.schema}"."opensms_webhook_event_states" ("event_id", "state", "received_at")
       SELECT "id", 'received', "received_at" FROM stored`,
    );
    const [{ id }]: { id: string }[] = await db.query(`SELECT "id" FROM ${events} WHERE "dedupe_key" = 'plan:1'`);
    const lifecycle = scope.app.get(SmsEventLifecycle);
    const explaining = { query: (sql: string, parameters: unknown[]) => db.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters) };

    for (const statistics of ['none', 'taken'] as const) {
      if (statistics === 'taken') await db.query(`ANALYZE ${events}`);
      const [
        {
          'QUERY PLAN': [plan],
        },
      ] = (await lifecycle.claim([id], explaining as unknown as QueryRunner)) as unknown as {
        'QUERY PLAN': [{ Plan: PlanNode }];
      }[];
      // The scan of "later" (the stale check) reads only the message index: directly, or through a bitmap of it.
      const staleCheck = nodesOf(plan.Plan).filter((node) => node.Alias === 'later');
      const indexesRead = [...new Set(staleCheck.flatMap((node) => nodesOf(node).flatMap((scan) => scan['Index Name'] ?? [])))];
      expect({ statistics, scans: staleCheck.length, indexesRead }).toEqual({
        statistics,
        scans: 1,
        indexesRead: ['opensms_webhook_events_message_idx'],
      });
    }
  });
});

interface PlanNode {
  'Node Type': string;
  Alias?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}
