import { type INestApplication, Injectable } from '@nestjs/common';
import {
  OnSmsEvent,
  OPENSMS_WEBHOOK_MIGRATIONS,
  OpenSmsWebhookService,
  type SmsDeliveredEvent,
  type SmsEventState,
} from '@opensms/nestjs-webhooks';
import { DataSource } from 'typeorm';
import { clearQueuePrefix, startTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, TEST_DATABASE_URL, uniqueName } from './support/test-database';
import { smsPayload } from './support/webhook-client';

/**
 * The migration that splits where an event stands from the call as received
 * (`SplitOpenSmsWebhookEventState1764600000000`), on an inbox that the six earlier migrations made
 * and an older version filled: every state, queued and unqueued rows, handler runs with and
 * without their attempt. Its rows after `up()`, the library working on them, and `down()`.
 */

/** The migrations of the version before the split: all but the last. */
const SPLIT = OPENSMS_WEBHOOK_MIGRATIONS.findIndex((migration) => migration.name === 'SplitOpenSmsWebhookEventState1764600000000');
/** The migrations before the split, which make the inbox it starts from. */
const EARLIER_MIGRATIONS = OPENSMS_WEBHOOK_MIGRATIONS.slice(0, SPLIT);
/** The split and the migrations after it, which the specs below run on that inbox. */
const SPLIT_AND_LATER = OPENSMS_WEBHOOK_MIGRATIONS.slice(SPLIT).map((migration) => migration.name);

/** Two handlers of delivered events; their names are the ones the older version's handler runs carry. */
@Injectable()
class MigratedInboxConsumer {
  readonly calls: { handler: string; messageId: string }[] = [];

  @OnSmsEvent('delivered')
  ledger(event: SmsDeliveredEvent): void {
    this.calls.push({ handler: 'ledger', messageId: event.messageId });
  }

  @OnSmsEvent('delivered')
  audit(event: SmsDeliveredEvent): void {
    this.calls.push({ handler: 'audit', messageId: event.messageId });
  }

  /** The handlers called for a message, in order. */
  callsOf(messageId: string): string[] {
    return this.calls.filter((call) => call.messageId === messageId).map((call) => call.handler);
  }
}

const LEDGER = `${MigratedInboxConsumer.name}.ledger`;
const AUDIT = `${MigratedInboxConsumer.name}.audit`;

/** A moment of the older version's life, `seconds` after its first event (millisecond precision, as JavaScript reads it back). */
function at(seconds: number): Date {
  return new Date(Date.UTC(2024, 0, 13, 12, 0, 0, 125) + seconds * 1000);
}

/** An inbox row of the earlier layout, as the older version left it. */
interface OldEvent {
  /** Names the row in the test; its message id is `msg_<key>`. */
  key: string;
  event?: string;
  state: SmsEventState;
  attempts: number;
  lastError?: string;
  processedAt?: Date;
  /** `'add'`: not queued yet; `'replace'`: an earlier job may exist; `null`: queued. */
  jobPending: 'add' | 'replace' | null;
  /** Handlers that committed, with the attempt (`null` before the console-indexes migration added it). */
  runs?: { handler: string; attempt: number | null; at: Date }[];
  /** A signed but malformed call: stored with its validation problems, no dedupe key. */
  invalid?: boolean;
}

/**
 * One row in every state, oldest first (the outbox keeps that order): what each shows after the
 * migration is written next to it.
 */
const OLD_EVENTS: OldEvent[] = [
  // Stored, not queued yet: an outbox entry.
  { key: 'unqueued', state: 'received', attempts: 0, jobPending: 'add' },
  // Stored and queued (its job is on the queue): no outbox entry.
  { key: 'queued', state: 'received', attempts: 0, jobPending: null },
  // A dead event replayed but not queued again yet: an entry replacing its ended job; audit had committed.
  { key: 'replayed', state: 'received', attempts: 0, jobPending: 'replace', runs: [{ handler: AUDIT, attempt: 2, at: at(2.5) }] },
  // Its second attempt was running: its job is on the queue; audit committed in the first.
  {
    key: 'processing',
    state: 'processing',
    attempts: 2,
    lastError: `${LEDGER}: ledger is down`,
    jobPending: null,
    runs: [{ handler: AUDIT, attempt: 1, at: at(3.5) }],
  },
  {
    key: 'processed',
    state: 'processed',
    attempts: 1,
    processedAt: at(4.5),
    jobPending: null,
    runs: [
      { handler: LEDGER, attempt: 1, at: at(4.5) },
      { handler: AUDIT, attempt: 1, at: at(4.5) },
    ],
  },
  // Processed before handler runs recorded their attempt.
  {
    key: 'processed_early',
    state: 'processed',
    attempts: 1,
    processedAt: at(5.5),
    jobPending: null,
    runs: [
      { handler: LEDGER, attempt: null, at: at(5.5) },
      { handler: AUDIT, attempt: null, at: at(5.5) },
    ],
  },
  // Failed, and handed back by the reconciler (its job was lost): an entry replacing it; audit had committed.
  {
    key: 'failed',
    state: 'failed',
    attempts: 1,
    lastError: `${LEDGER}: ledger is down`,
    jobPending: 'replace',
    runs: [{ handler: AUDIT, attempt: 1, at: at(6.5) }],
  },
  // Attempts spent, ledger never committed: stays dead until replayed.
  {
    key: 'dead',
    state: 'dead',
    attempts: 3,
    lastError: `${LEDGER}: ledger is down`,
    jobPending: null,
    runs: [{ handler: AUDIT, attempt: 1, at: at(7.5) }],
  },
  // The older ingest set 'add' on every row, invalid ones too (the relay cleared it without a job): no entry.
  { key: 'invalid', state: 'invalid', attempts: 0, lastError: 'timestamp must be an ISO 8601 date', jobPending: 'add', invalid: true },
  { key: 'ignored', event: 'sms.read', state: 'ignored', attempts: 1, processedAt: at(9.5), jobPending: null },
];

/** Inserts the rows with the earlier layout's SQL, as the older version's ingest, worker and relay left them; returns their ids by key. */
async function insertOldEvents(db: DataSource, events: readonly OldEvent[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const [index, row] of events.entries()) {
    const messageId = `msg_${row.key}`;
    const event = row.event ?? 'sms.delivered';
    const payload = row.invalid
      ? smsPayload({ event, message_id: messageId, timestamp: 'yesterday' })
      : smsPayload({ event, message_id: messageId });
    const receivedAt = at(index);
    const [{ id }]: { id: string }[] = await db.query(
      `INSERT INTO "opensms_webhook_events"
         ("dedupe_key", "delivery_key", "event", "message_id", "phone", "status", "occurred_at", "received_at", "payload", "headers",
          "state", "attempts", "last_error", "processed_at", "updated_at", "job_pending")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       RETURNING "id"`,
      [
        row.invalid ? null : `${event}:${messageId}:${payload.timestamp}`,
        row.invalid ? `delivery:${messageId}` : null,
        event,
        messageId,
        payload.phone,
        payload.status,
        row.invalid ? null : payload.timestamp,
        receivedAt,
        JSON.stringify(payload),
        JSON.stringify({ 'content-type': 'application/json' }),
        row.state,
        row.attempts,
        row.lastError ?? null,
        row.processedAt ?? null,
        row.processedAt ?? new Date(receivedAt.getTime() + 500),
        row.jobPending,
      ],
    );
    for (const run of row.runs ?? []) {
      await db.query(
        `INSERT INTO "opensms_webhook_handler_runs" ("event_id", "handler", "completed_at", "attempt") VALUES ($1, $2, $3, $4)`,
        [id, run.handler, run.at, run.attempt],
      );
    }
    ids[row.key] = id;
  }
  return ids;
}

/** A DataSource on the test schema with these migrations (its `schema` option qualifies the migrations' tables). */
async function migrator(schema: string, migrations: readonly (typeof OPENSMS_WEBHOOK_MIGRATIONS)[number][]): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: TEST_DATABASE_URL,
    schema,
    migrations: [...migrations],
    extra: { max: 2, options: `-c search_path="${schema}"` },
  });
  return dataSource.initialize();
}

/** Creates the schema and runs the earlier migrations in it; returns a DataSource that knows all of them, the split still pending. */
async function earlierInbox(schema: string): Promise<DataSource> {
  await createSchema(schema);
  const earlier = await migrator(schema, EARLIER_MIGRATIONS);
  try {
    await earlier.runMigrations();
  } finally {
    await earlier.destroy();
  }
  return migrator(schema, OPENSMS_WEBHOOK_MIGRATIONS);
}

const tableExists = async (db: DataSource, schema: string, table: string): Promise<boolean> =>
  (await db.query(`SELECT to_regclass($1) IS NOT NULL AS "exists"`, [`"${schema}"."${table}"`]))[0].exists;

const columnsOf = async (db: DataSource, schema: string, table: string): Promise<string[]> =>
  (
    await db.query(
      `SELECT "column_name" FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [schema, table],
    )
  ).map((row: { column_name: string }) => row.column_name);

const indexesOf = async (db: DataSource, schema: string, table: string): Promise<string[]> =>
  (await db.query(`SELECT "indexname" FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1`, [schema, table])).map(
    (row: { indexname: string }) => row.indexname,
  );

/** The earlier layout's state columns of every event, oldest first. */
const OLD_STATE_COLUMNS = `"id", "state", "attempts", "last_error", "processed_at", "received_at", "updated_at"`;
/** The columns of the call as received, which the migration leaves as they are. */
const CALL_COLUMNS = `"id", "dedupe_key", "delivery_key", "tenant", "event", "message_id", "phone", "status", "error", "occurred_at",
  "received_at", "payload", "headers", "trace_context"`;

/** The handler runs of the earlier layout, as `completed_handlers` holds them: `{ [event id]: { [handler]: { attempt, at } } }`. */
async function handlerRunsByEvent(db: DataSource): Promise<Record<string, Record<string, { attempt: number | null; at: Date }>>> {
  const runs: { event_id: string; handler: string; completed_at: Date; attempt: number | null }[] = await db.query(
    `SELECT "event_id", "handler", "completed_at", "attempt" FROM "opensms_webhook_handler_runs"`,
  );
  const byEvent: Record<string, Record<string, { attempt: number | null; at: Date }>> = {};
  for (const run of runs) (byEvent[run.event_id] ??= {})[run.handler] = { attempt: run.attempt, at: run.completed_at };
  return byEvent;
}

describe('migration 1764600000000: the event state apart from the call as received', () => {
  const schema = uniqueName('migration');
  let db: DataSource;
  let ids: Record<string, string>;
  let oldStates: Record<string, unknown>[];
  let oldCalls: Record<string, unknown>[];
  let oldRuns: Awaited<ReturnType<typeof handlerRunsByEvent>>;

  beforeAll(async () => {
    db = await earlierInbox(schema);
    ids = await insertOldEvents(db, OLD_EVENTS);
    oldStates = await db.query(`SELECT ${OLD_STATE_COLUMNS} FROM "opensms_webhook_events" ORDER BY "received_at"`);
    oldCalls = await db.query(`SELECT ${CALL_COLUMNS} FROM "opensms_webhook_events" ORDER BY "received_at"`);
    oldRuns = await handlerRunsByEvent(db);
    expect(oldStates.map((row) => row.state)).toEqual(OLD_EVENTS.map((row) => row.state));

    const ran = await db.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual(SPLIT_AND_LATER);
  });

  afterAll(async () => {
    await db?.destroy();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('gives every event exactly one state row, with its state, attempts, last error and times', async () => {
    const states = await db.query(
      `SELECT "event_id" AS "id", "state", "attempts", "last_error", "processed_at", "received_at", "updated_at"
         FROM "opensms_webhook_event_states" ORDER BY "received_at"`,
    );
    expect(states).toEqual(oldStates);
    const [{ orphans, missing }] = await db.query(
      `SELECT (SELECT count(*)::int FROM "opensms_webhook_event_states" s
                WHERE NOT EXISTS (SELECT 1 FROM "opensms_webhook_events" e WHERE e."id" = s."event_id")) AS "orphans",
              (SELECT count(*)::int FROM "opensms_webhook_events" e
                WHERE NOT EXISTS (SELECT 1 FROM "opensms_webhook_event_states" s WHERE s."event_id" = e."id")) AS "missing"`,
    );
    expect({ orphans, missing }).toEqual({ orphans: 0, missing: 0 });
  });

  it("folds each event's handler runs into completed_handlers ({ attempt, at }), null attempts included", async () => {
    const rows: { event_id: string; completed_handlers: Record<string, { attempt: number | null; at: string }> }[] = await db.query(
      `SELECT "event_id", "completed_handlers" FROM "opensms_webhook_event_states"`,
    );
    const completed = Object.fromEntries(
      rows.map(({ event_id, completed_handlers }) => [
        event_id,
        Object.fromEntries(
          Object.entries(completed_handlers).map(([handler, run]) => [handler, { attempt: run.attempt, at: new Date(run.at) }]),
        ),
      ]),
    );
    expect(completed).toEqual(Object.fromEntries(Object.values(ids).map((id) => [id, oldRuns[id] ?? {}])));
    expect(completed[ids.processed_early]).toEqual({ [LEDGER]: { attempt: null, at: at(5.5) }, [AUDIT]: { attempt: null, at: at(5.5) } });
    expect(completed[ids.failed]).toEqual({ [AUDIT]: { attempt: 1, at: at(6.5) } });
  });

  it('puts in the outbox exactly the unfinished events still to be queued, oldest first, replacing where a job may exist', async () => {
    const outbox = await db.query(`SELECT "event_id", "replace" FROM "opensms_webhook_outbox" ORDER BY "id"`);
    expect(outbox).toEqual([
      { event_id: ids.unqueued, replace: false },
      { event_id: ids.replayed, replace: true },
      { event_id: ids.failed, replace: true },
    ]);
  });

  it('leaves the calls as received, drops the moved columns with their indexes, and the handler runs table', async () => {
    expect(await db.query(`SELECT ${CALL_COLUMNS} FROM "opensms_webhook_events" ORDER BY "received_at"`)).toEqual(oldCalls);
    expect(await columnsOf(db, schema, 'opensms_webhook_events')).toEqual([
      'id',
      'dedupe_key',
      'event',
      'message_id',
      'phone',
      'status',
      'error',
      'occurred_at',
      'received_at',
      'payload',
      'headers',
      'tenant',
      'delivery_key',
      'trace_context',
    ]);
    // The indexes the entities declare, no more.
    expect(await indexesOf(db, schema, 'opensms_webhook_events')).toEqual([
      'opensms_webhook_events_dedupe_key_uq',
      'opensms_webhook_events_delivery_key_uq',
      'opensms_webhook_events_event_received_idx',
      'opensms_webhook_events_message_idx',
      'opensms_webhook_events_phone_received_idx',
      'opensms_webhook_events_pkey',
      'opensms_webhook_events_received_idx',
    ]);
    expect(await indexesOf(db, schema, 'opensms_webhook_event_states')).toEqual([
      'opensms_webhook_event_states_open_idx',
      'opensms_webhook_event_states_pkey',
    ]);
    expect(await tableExists(db, schema, 'opensms_webhook_handler_runs')).toBe(false);
  });

  describe('the library on the migrated inbox', () => {
    let app: INestApplication;
    let service: OpenSmsWebhookService;
    let consumer: MigratedInboxConsumer;

    const stateOf = async (key: string): Promise<SmsEventState | undefined> => (await service.findById(ids[key]))?.state;
    const waitForState = (key: string, state: SmsEventState) =>
      waitFor(`${key} to be ${state}`, async () => (await stateOf(key)) === state, 30_000);

    beforeAll(async () => {
      // Its migrations are all applied already: migrationsRun finds nothing to do.
      ({ app } = await startTestApp({ schema, queuePrefix: schema, providers: [MigratedInboxConsumer] }));
      service = app.get(OpenSmsWebhookService);
      consumer = app.get(MigratedInboxConsumer);
    });

    afterAll(async () => {
      await app?.close();
    });

    it('queues the events of the outbox: the unqueued one runs both handlers, the others only the handler that had not committed', async () => {
      await waitForState('unqueued', 'processed');
      await waitForState('replayed', 'processed');
      await waitForState('failed', 'processed');

      expect(consumer.callsOf('msg_unqueued').sort()).toEqual(['audit', 'ledger']);
      expect(consumer.callsOf('msg_replayed')).toEqual(['ledger']);
      expect(consumer.callsOf('msg_failed')).toEqual(['ledger']);
      const [{ completed_handlers: failed }] = await db.query(
        `SELECT "completed_handlers" FROM "opensms_webhook_event_states" WHERE "event_id" = $1`,
        [ids.failed],
      );
      expect(Object.keys(failed).sort()).toEqual([AUDIT, LEDGER]);
      expect(new Date(failed[AUDIT].at)).toEqual(at(6.5));
      expect(await db.query(`SELECT "event_id" FROM "opensms_webhook_outbox"`)).toEqual([]);
    });

    it('runs no handler again for finished events, and leaves the dead one dead', async () => {
      expect(await stateOf('processed')).toBe('processed');
      expect(await stateOf('processed_early')).toBe('processed');
      expect(await stateOf('ignored')).toBe('ignored');
      expect(await stateOf('invalid')).toBe('invalid');
      expect(await stateOf('dead')).toBe('dead');
      for (const key of ['processed', 'processed_early', 'ignored', 'invalid', 'dead']) expect(consumer.callsOf(`msg_${key}`)).toEqual([]);
    });

    it('leaves queued events to their job; once the job is found lost, reconcile(0) runs them like any other', async () => {
      // This queue prefix is new: the jobs the older version queued are not on it.
      expect(await stateOf('queued')).toBe('received');
      expect(await stateOf('processing')).toBe('processing');
      expect(consumer.callsOf('msg_queued')).toEqual([]);

      expect(await service.reconcile(0)).toBe(2);
      await waitForState('queued', 'processed');
      await waitForState('processing', 'processed');
      expect(consumer.callsOf('msg_queued').sort()).toEqual(['audit', 'ledger']);
      expect(consumer.callsOf('msg_processing')).toEqual(['ledger']);
    });

    it('processes the dead event once replayed, running only the handler that had not committed', async () => {
      expect(await stateOf('dead')).toBe('dead');
      expect(await service.replay(ids.dead)).toBe(true);
      await waitForState('dead', 'processed');
      expect(consumer.callsOf('msg_dead')).toEqual(['ledger']);
      const record = await service.findById(ids.dead);
      expect(record?.lastError).toBeNull();
      // Nothing else ran meanwhile: each handler of each delivered event exactly once in all.
      expect(consumer.calls).toHaveLength(2 + 1 + 1 + 2 + 1 + 1);
    });
  });
});

describe('migration 1764600000000: down()', () => {
  const schema = uniqueName('migration_down');
  const events = OLD_EVENTS.filter((row) => ['unqueued', 'queued', 'processed_early', 'failed', 'dead', 'invalid'].includes(row.key));
  const OLD_ROW = `"id", "state", "attempts", "last_error", "processed_at", "updated_at", "job_pending"`;
  let db: DataSource;
  let ids: Record<string, string>;
  let oldRows: { id: string; job_pending: string | null }[];
  let oldRuns: Awaited<ReturnType<typeof handlerRunsByEvent>>;

  beforeAll(async () => {
    db = await earlierInbox(schema);
    ids = await insertOldEvents(db, events);
    oldRows = await db.query(`SELECT ${OLD_ROW} FROM "opensms_webhook_events" ORDER BY "received_at"`);
    oldRuns = await handlerRunsByEvent(db);
    await db.runMigrations();
    for (let undone = 0; undone < SPLIT_AND_LATER.length; undone += 1) await db.undoLastMigration();
  });

  afterAll(async () => {
    await db?.destroy();
    await dropSchema(schema);
  });

  it('brings back the state columns, job_pending of the events still to be queued, and the handler runs', async () => {
    expect(await tableExists(db, schema, 'opensms_webhook_event_states')).toBe(false);
    expect(await tableExists(db, schema, 'opensms_webhook_outbox')).toBe(false);
    expect(await db.query(`SELECT ${OLD_ROW} FROM "opensms_webhook_events" ORDER BY "received_at"`)).toEqual(
      // An invalid row's 'add' only waited for the relay to clear it: no job was owed, no outbox entry kept it.
      oldRows.map((row) => (row.id === ids.invalid ? { ...row, job_pending: null } : row)),
    );
    expect(await handlerRunsByEvent(db)).toEqual(oldRuns);
    expect(await indexesOf(db, schema, 'opensms_webhook_events')).toEqual(
      expect.arrayContaining([
        'opensms_webhook_events_unfinished_idx',
        'opensms_webhook_events_processed_message_idx',
        'opensms_webhook_events_job_pending_idx',
        'opensms_webhook_events_state_received_idx',
      ]),
    );
  });

  it("takes the older version's writes again, and up() after it moves the same rows again", async () => {
    // The older ingest's insert: no job_pending (its default), a state the check accepts.
    const [{ id, job_pending }] = await db.query(
      `INSERT INTO "opensms_webhook_events" ("dedupe_key", "event", "message_id", "payload", "state")
       VALUES ('sms.delivered:msg_after_down:2024-01-13T12:00:00Z', 'sms.delivered', 'msg_after_down', $1, 'received')
       RETURNING "id", "job_pending"`,
      [JSON.stringify(smsPayload({ message_id: 'msg_after_down' }))],
    );
    expect(job_pending).toBe('add');
    await expect(
      db.query(`INSERT INTO "opensms_webhook_events" ("event", "payload", "state") VALUES ('sms.delivered', '{}', 'lost')`),
    ).rejects.toThrow(/check constraint/);

    await db.runMigrations();
    const states = await db.query(
      `SELECT "event_id", "state", "attempts" FROM "opensms_webhook_event_states" ORDER BY "received_at", "event_id"`,
    );
    expect(states).toEqual([
      ...oldRows.map((row: Record<string, unknown>) => ({ event_id: row.id, state: row.state, attempts: row.attempts })),
      { event_id: id, state: 'received', attempts: 0 },
    ]);
    expect(await db.query(`SELECT "event_id", "replace" FROM "opensms_webhook_outbox" ORDER BY "id"`)).toEqual([
      { event_id: ids.unqueued, replace: false },
      { event_id: ids.failed, replace: true },
      { event_id: id, replace: false },
    ]);
  });
});
