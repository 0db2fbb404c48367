/**
 * `npm run bench:migration`: the migration that splits where an event stands from the call as
 * received (`SplitOpenSmsWebhookEventState1764600000000`) on a million stored events, while an
 * older version of the library keeps writing.
 *
 * Creates a schema of its own and runs the six earlier migrations; fills the inbox of that layout
 * with 1,000,000 events in one statement (`generate_series`, the states of bench:console-search:
 * about 1 % dead, some failed, invalid and ignored, 300 received, the rest processed with one
 * handler run each), VACUUM ANALYZE. Then runs the last migration while, each on a connection of
 * its own, an older ingest inserts one event per statement with the earlier layout's INSERT and an
 * older worker finishes received events (its state and handler run in one statement), both timed
 * statement by statement. Reports the migration's time step by step, the longest an insert waited
 * (the lock-out window), the WAL the migration wrote, and whether every event, those stored and
 * finished during the migration included, came out with its state row and outbox entry. Writes
 * attempted once the moved columns are gone fail, as they would for an older version still
 * running: they are counted. Drops the schema at the end.
 *
 * `MIGRATION_BENCH_ROWS` changes the row count; `MIGRATION_BENCH_INGEST_PER_SECOND` paces the
 * older ingest (default: one insert after the other).
 */
import { performance } from 'node:perf_hooks';
import { OPENSMS_WEBHOOK_MIGRATIONS } from '@opensms/nestjs-webhooks';
import { Client } from 'pg';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { BENCH } from './bench.config';
import { CONSOLE_STATES, generatedInboxRows } from './inbox-fill';

const ROWS = Number(process.env.MIGRATION_BENCH_ROWS ?? 1_000_000);
/** Inserts per second of the older ingest; 0: as fast as one connection goes. */
const INGEST_PER_SECOND = Number(process.env.MIGRATION_BENCH_INGEST_PER_SECOND ?? 0);
/** How long the older version writes before the migration starts, and goes on trying after it. */
const AROUND_MS = 1000;
/** The older worker's pause between two events. */
const WORKER_PAUSE_MS = 2;
/** After a refused write the older version waits (OpenSMS retries the call later) instead of spinning. */
const PAUSE_AFTER_FAILURE_MS = 10;
/** The handler name of the older worker's runs. */
const HANDLER = 'BenchConsumer.handle';
const UNFINISHED_STATES = ['received', 'processing', 'failed'];

/** Each query TypeORM sends, with when it was sent: the migration's steps. */
class QueryClock implements TypeOrmLogger {
  readonly queries: { at: number; sql: string }[] = [];
  logQuery(query: string): void {
    this.queries.push({ at: performance.now(), sql: query });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** One statement of the older version: when it was sent, how long it took, and what came of it. */
interface Write {
  startedAt: number;
  ms: number;
  /** The row written, when the statement wrote one. */
  id?: string;
  /** `SQLSTATE message` of a refused statement. */
  error?: string;
}

async function main(): Promise<void> {
  const schema = `migration_bench_${process.pid}`;
  const admin = new DataSource({ type: 'postgres', url: BENCH.databaseUrl, extra: { max: 1 } });
  await admin.initialize();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const clock = new QueryClock();
  const earlier = dataSourceOf(schema, OPENSMS_WEBHOOK_MIGRATIONS.slice(0, -1));
  const current = dataSourceOf(schema, OPENSMS_WEBHOOK_MIGRATIONS, clock);
  const ingest = new Client({ connectionString: BENCH.databaseUrl, application_name: 'older ingest' });
  const worker = new Client({ connectionString: BENCH.databaseUrl, application_name: 'older worker' });
  try {
    await earlier.initialize();
    await earlier.runMigrations();
    await earlier.destroy();
    const filled = performance.now();
    await fill(admin, schema);
    console.log(`Filled ${ROWS.toLocaleString('en')} events of the earlier layout in ${seconds(performance.now() - filled)} s`);
    const tables = tablesOf(schema);
    const before = {
      byState: await countByState(admin, `SELECT "state" FROM ${tables.events}`),
      outbox: (
        await admin.query(`SELECT "id" FROM ${tables.events} WHERE "job_pending" IS NOT NULL AND "state" = ANY($1)`, [UNFINISHED_STATES])
      ).map((row: { id: string }) => row.id) as string[],
      runs: await countOf(admin, `SELECT count(*)::int AS "count" FROM ${tables.runs}`),
      eventsBytes: await sizeOf(admin, tables.events),
      runsBytes: await sizeOf(admin, tables.runs),
    };
    console.log(
      `  ${Object.entries(before.byState)
        .map(([state, count]) => `${state} ${count.toLocaleString('en')}`)
        .join(', ')}; ${before.runs.toLocaleString('en')} handler runs; ` +
        `events ${mib(before.eventsBytes)} MiB, handler runs ${mib(before.runsBytes)} MiB (tables and indexes)\n`,
    );

    await current.initialize();
    await ingest.connect();
    await worker.connect();
    const stop = { requested: false };
    const inserts: Write[] = [];
    const finishes: Write[] = [];
    const ingesting = ingestLoop(ingest, tables, stop, inserts);
    const working = workerLoop(worker, tables, stop, finishes);
    await sleep(AROUND_MS);

    const [{ oldest }]: { oldest: number | null }[] = await admin.query(
      `SELECT extract(epoch FROM now() - min("xact_start"))::float AS "oldest" FROM pg_stat_activity
        WHERE "datname" = current_database() AND "pid" <> pg_backend_pid() AND "xact_start" IS NOT NULL`,
    );
    const [{ lsn: walBefore }]: { lsn: string }[] = await admin.query(`SELECT pg_current_wal_lsn() AS "lsn"`);
    clock.queries.length = 0;
    const startedAt = performance.now();
    await current.runMigrations();
    const endedAt = performance.now();
    const [{ lsn: walAfter }]: { lsn: string }[] = await admin.query(`SELECT pg_current_wal_lsn() AS "lsn"`);
    await sleep(AROUND_MS);
    stop.requested = true;
    await Promise.all([ingesting, working]);

    const [{ bytes: walBytes }]: { bytes: string }[] = await admin.query(`SELECT pg_wal_lsn_diff($1, $2)::bigint AS "bytes"`, [
      walAfter,
      walBefore,
    ]);
    const steps = stepsOf(clock, endedAt);
    const lock = steps.find((step) => step.sql.startsWith('LOCK TABLE'));
    const lockHeldMs = lock ? endedAt - lock.at : NaN;

    console.log(
      `Migration: ${seconds(endedAt - startedAt)} s in all; oldest other transaction of the database at its start: ${oldest === null ? 'none' : `${oldest.toFixed(3)} s`}`,
    );
    for (const step of steps) console.log(`  ${ms(step.ms).padStart(10)} ms  ${step.sql}`);
    console.log(`  Held the lock that stops writes for ${ms(lockHeldMs)} ms (from LOCK TABLE to the end of COMMIT)`);
    console.log(`  WAL: ${mib(Number(walBytes))} MiB (the server's, concurrent writes included)\n`);

    const during = (write: Write) => write.startedAt >= startedAt && write.startedAt < endedAt;
    const stored = inserts.filter((write) => write.id !== undefined);
    const refused = inserts.filter((write) => write.error !== undefined);
    const longest = inserts.reduce<Write | undefined>((top, write) => (top && top.ms >= write.ms ? top : write), undefined);
    console.log(
      `Older ingest: ${inserts.length.toLocaleString('en')} inserts (${perSecond(inserts, startedAt - AROUND_MS, endedAt + AROUND_MS)}/s)`,
    );
    console.log(
      `  stored ${stored.length.toLocaleString('en')}, of which ${stored.filter(during).length.toLocaleString('en')} during the migration`,
    );
    console.log(`  latency before the migration: ${latencies(stored.filter((write) => write.startedAt < startedAt))}`);
    console.log(`  latency of those stored during it: ${latencies(stored.filter(during))}`);
    if (longest) {
      console.log(
        `  longest wait (lock-out window): ${ms(longest.ms)} ms, sent ${ms(longest.startedAt - startedAt)} ms into the migration, ` +
          `${longest.id ? 'stored' : `refused: ${longest.error}`}`,
      );
    }
    // NOTE: a write refused before the migration sent its COMMIT would be refused by the migration itself, not by the new layout.
    const commitSentAt = steps.find((step) => step.sql === 'COMMIT')?.at ?? endedAt;
    const refusedEarly = refused.filter((write) => write.startedAt + write.ms < commitSentAt);
    console.log(
      `  refused ${refused.length.toLocaleString('en')} (${refusedEarly.length} before the migration's COMMIT): ${distinct(refused)}`,
    );
    const worked = finishes.filter((write) => write.id !== undefined);
    const workerRefused = finishes.filter((write) => write.error !== undefined);
    console.log(
      `Older worker: finished ${worked.length.toLocaleString('en')} events (${worked.filter(during).length} during the migration), ` +
        `longest wait ${ms(Math.max(0, ...finishes.map((write) => write.ms)))} ms; refused ${workerRefused.length}: ${distinct(workerRefused)}\n`,
    );

    const ok = await check(admin, tables, {
      byState: before.byState,
      fillOutbox: before.outbox,
      stored: stored.map((write) => write.id as string),
      finished: worked.map((write) => write.id as string),
      runs: before.runs,
    });
    console.log(
      `\nAfter: events ${mib(await sizeOf(admin, tables.events))} MiB, states ${mib(await sizeOf(admin, tables.states))} MiB, ` +
        `outbox ${mib(await sizeOf(admin, tables.outbox))} MiB (tables and indexes)`,
    );
    console.log(`Every event has its state row and outbox entry: ${ok ? 'yes' : 'NO'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await ingest.end().catch(() => undefined);
    await worker.end().catch(() => undefined);
    if (earlier.isInitialized) await earlier.destroy();
    if (current.isInitialized) await current.destroy();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.destroy();
  }
}

function dataSourceOf(schema: string, migrations: readonly (typeof OPENSMS_WEBHOOK_MIGRATIONS)[number][], logger?: QueryClock): DataSource {
  return new DataSource({
    type: 'postgres',
    url: BENCH.databaseUrl,
    schema,
    migrations: [...migrations],
    ...(logger ? { logging: ['query'] as const, logger } : {}),
    extra: { max: 2 },
  });
}

interface Tables {
  events: string;
  runs: string;
  states: string;
  outbox: string;
}

function tablesOf(schema: string): Tables {
  const table = (name: string) => `"${schema}"."${name}"`;
  return {
    events: table('opensms_webhook_events'),
    runs: table('opensms_webhook_handler_runs'),
    states: table('opensms_webhook_event_states'),
    outbox: table('opensms_webhook_outbox'),
  };
}

/**
 * The earlier layout's million events in one statement (the states of bench:console-search): half
 * of the received events and half of the failed ones still to be queued (`job_pending`), as the
 * older relay would leave them; then one handler run per processed event; VACUUM ANALYZE.
 */
async function fill(dataSource: DataSource, schema: string): Promise<void> {
  const { events, runs } = tablesOf(schema);
  await dataSource.query(
    `INSERT INTO ${events}
       ("dedupe_key", "event", "message_id", "phone", "status", "error", "occurred_at", "received_at", "payload", "headers",
        "state", "attempts", "last_error", "processed_at", "updated_at", "job_pending")
     SELECT md5(i::text), t.event, 'msg_' || (i / 4), '+2547' || lpad((i % 200000)::text, 8, '0'), t.status,
            CASE WHEN t.event = 'sms.failed' THEN 'Invalid phone number' END,
            r.at - interval '1 second', r.at,
            jsonb_build_object('event', t.event, 'message_id', 'msg_' || (i / 4), 'phone', '+2547' || lpad((i % 200000)::text, 8, '0'),
                               'status', t.status, 'timestamp', to_char(r.at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
            '{"content-type":"application/json"}'::jsonb,
            s.state, CASE WHEN s.state = 'received' THEN 0 ELSE 1 END,
            CASE WHEN s.state IN ('dead', 'failed') THEN 'Handler failed' END,
            CASE WHEN s.state IN ('processed', 'ignored') THEN r.at + interval '50 milliseconds' END, r.at,
            CASE WHEN s.state = 'received' AND i % 2 = 0 THEN 'add' WHEN s.state = 'failed' AND i % 400 = 2 THEN 'replace' END
       FROM ${generatedInboxRows(CONSOLE_STATES)}`,
    [ROWS],
  );
  await dataSource.query(
    `INSERT INTO ${runs} ("event_id", "handler", "completed_at", "attempt")
     SELECT "id", $1, "processed_at", 1 FROM ${events} WHERE "state" = 'processed'`,
    [HANDLER],
  );
  await dataSource.query(`VACUUM ANALYZE ${events}`);
  await dataSource.query(`VACUUM ANALYZE ${runs}`);
}

/** The older version's ingest statement for one valid call (its writer's batch insert, with a batch of one). */
function olderInsertSql(events: string): string {
  const columns = `"dedupe_key", "delivery_key", "tenant", "event", "message_id", "phone", "status", "error", "occurred_at", "payload",
    "headers", "state", "last_error", "trace_context"`;
  return `WITH input (${columns}, "ord") AS (
       VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::timestamptz, $10::jsonb,
               $11::jsonb, $12::text, $13::text, $14::jsonb, $15::int)),
     inserted AS (
       INSERT INTO ${events} (${columns})
       SELECT DISTINCT ON ("dedupe_key") ${columns} FROM input ORDER BY "dedupe_key", "ord"
       ON CONFLICT ("dedupe_key") DO NOTHING
       RETURNING "id", "dedupe_key"
     )
     SELECT input."ord", coalesce(inserted."id", existing."id") AS "id", (inserted."id" IS NOT NULL) AS "inserted"
       FROM input
       LEFT JOIN inserted ON inserted."dedupe_key" = input."dedupe_key"
       LEFT JOIN ${events} existing ON existing."dedupe_key" = input."dedupe_key" AND inserted."id" IS NULL
      ORDER BY input."ord"`;
}

/** Inserts one call after the other as the older ingest does, until stopped. */
async function ingestLoop(client: Client, tables: Tables, stop: { requested: boolean }, writes: Write[]): Promise<void> {
  const sql = olderInsertSql(tables.events);
  const headers = JSON.stringify({ 'content-type': 'application/json' });
  const interval = INGEST_PER_SECOND > 0 ? 1000 / INGEST_PER_SECOND : 0;
  for (let n = 1; !stop.requested; n += 1) {
    const messageId = `msg_live_${n}`;
    const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const payload = { event: 'sms.delivered', message_id: messageId, phone: '+254712345678', status: 'delivered', timestamp };
    const params = [
      `sms.delivered:${messageId}:${timestamp}`,
      null,
      null,
      'sms.delivered',
      messageId,
      payload.phone,
      'delivered',
      null,
      timestamp,
      JSON.stringify(payload),
      headers,
      'received',
      null,
      null,
      0,
    ];
    const write = await timedWrite(async () => (await client.query<{ id: string }>(sql, params)).rows[0]?.id);
    writes.push(write);
    const wait = write.error ? PAUSE_AFTER_FAILURE_MS : interval - write.ms;
    if (wait > 0) await sleep(wait);
  }
}

/**
 * Finishes the oldest received event as the older worker's last statement does (state, attempts,
 * times, and its handler run, in one statement), one event after the other, until stopped.
 */
async function workerLoop(client: Client, tables: Tables, stop: { requested: boolean }, writes: Write[]): Promise<void> {
  const sql = `WITH ended AS (
      UPDATE ${tables.events} e
         SET "state" = 'processed', "attempts" = 1, "last_error" = NULL, "processed_at" = now(), "updated_at" = now(),
             "job_pending" = NULL
       WHERE e."id" = (SELECT "id" FROM ${tables.events} WHERE "state" = 'received' ORDER BY "received_at" LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING e."id"
    )
    INSERT INTO ${tables.runs} ("event_id", "handler", "attempt") SELECT "id", $1, 1 FROM ended RETURNING "event_id" AS "id"`;
  while (!stop.requested) {
    const write = await timedWrite(async () => (await client.query<{ id: string }>(sql, [HANDLER])).rows[0]?.id);
    writes.push(write);
    await sleep(write.error ? PAUSE_AFTER_FAILURE_MS : WORKER_PAUSE_MS);
  }
}

async function timedWrite(run: () => Promise<string | undefined>): Promise<Write> {
  const startedAt = performance.now();
  try {
    const id = await run();
    return { startedAt, ms: performance.now() - startedAt, ...(id ? { id } : {}) };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return { startedAt, ms: performance.now() - startedAt, error: `${code ?? ''} ${message ?? String(error)}`.trim() };
  }
}

/** Compares the migrated tables with what the older version left: prints each check, resolves whether all held. */
async function check(
  admin: DataSource,
  tables: Tables,
  expected: { byState: Record<string, number>; fillOutbox: string[]; stored: string[]; finished: string[]; runs: number },
): Promise<boolean> {
  const finished = new Set(expected.finished);
  const outbox = [...new Set([...expected.fillOutbox, ...expected.stored])].filter((id) => !finished.has(id));
  const byState = { ...expected.byState };
  byState.received = (byState.received ?? 0) + expected.stored.length - finished.size;
  byState.processed = (byState.processed ?? 0) + finished.size;
  const events = await countOf(admin, `SELECT count(*)::int AS "count" FROM ${tables.events}`);
  const results: [string, unknown, unknown][] = [
    ['events', events, ROWS + expected.stored.length],
    ['state rows', await countOf(admin, `SELECT count(*)::int AS "count" FROM ${tables.states}`), events],
    [
      'events without a state row',
      await countOf(
        admin,
        `SELECT count(*)::int AS "count" FROM ${tables.events} e WHERE NOT EXISTS (SELECT 1 FROM ${tables.states} s WHERE s."event_id" = e."id")`,
      ),
      0,
    ],
    [
      'state rows without an event',
      await countOf(
        admin,
        `SELECT count(*)::int AS "count" FROM ${tables.states} s WHERE NOT EXISTS (SELECT 1 FROM ${tables.events} e WHERE e."id" = s."event_id")`,
      ),
      0,
    ],
    ['events by state', sortedKeys(await countByState(admin, `SELECT "state" FROM ${tables.states}`)), sortedKeys(byState)],
    [
      "events stored during the run (and not finished by the worker) without state 'received'",
      await countOf(
        admin,
        `SELECT count(*)::int AS "count" FROM unnest($1::uuid[]) AS x("id") LEFT JOIN ${tables.states} s ON s."event_id" = x."id"
          WHERE s."state" IS DISTINCT FROM 'received'`,
        [expected.stored.filter((id) => !finished.has(id))],
      ),
      0,
    ],
    [
      "events finished by the older worker without state 'processed' and its handler",
      await countOf(
        admin,
        `SELECT count(*)::int AS "count" FROM unnest($1::uuid[]) AS x("id") LEFT JOIN ${tables.states} s ON s."event_id" = x."id"
          WHERE s."state" IS DISTINCT FROM 'processed' OR NOT s."completed_handlers" ? $2`,
        [expected.finished, HANDLER],
      ),
      0,
    ],
    [
      'completed handlers',
      await countOf(admin, `SELECT count(*)::int AS "count" FROM ${tables.states}, jsonb_object_keys("completed_handlers")`),
      expected.runs + finished.size,
    ],
    ['outbox entries', await countOf(admin, `SELECT count(*)::int AS "count" FROM ${tables.outbox}`), outbox.length],
    [
      'outbox entries missing or unexpected',
      await countOf(
        admin,
        `SELECT count(*)::int AS "count" FROM unnest($1::uuid[]) AS x("id") FULL JOIN ${tables.outbox} o ON o."event_id" = x."id"
          WHERE o."event_id" IS NULL OR x."id" IS NULL`,
        [outbox],
      ),
      0,
    ],
    ['handler runs table', (await admin.query(`SELECT to_regclass($1)::text AS "name"`, [tables.runs]))[0].name ?? 'dropped', 'dropped'],
  ];
  let ok = true;
  console.log('Checks:');
  for (const [name, actual, wanted] of results) {
    const held = JSON.stringify(actual) === JSON.stringify(wanted);
    ok &&= held;
    console.log(`  ${held ? 'ok  ' : 'FAIL'} ${name}: ${JSON.stringify(actual)}${held ? '' : ` (expected ${JSON.stringify(wanted)})`}`);
  }
  return ok;
}

/** The migration's statements from its transaction's start, each with how long it took (until the next was sent). */
function stepsOf(clock: QueryClock, endedAt: number): { at: number; ms: number; sql: string }[] {
  const start = clock.queries.findIndex((query) => query.sql.startsWith('START TRANSACTION'));
  const queries = clock.queries.slice(Math.max(0, start));
  return queries.map((query, index) => ({
    at: query.at,
    ms: (queries[index + 1]?.at ?? endedAt) - query.at,
    sql: query.sql.replace(/\s+/g, ' ').trim().slice(0, 110),
  }));
}

async function countOf(dataSource: DataSource, sql: string, parameters?: unknown[]): Promise<number> {
  const [{ count }]: { count: number }[] = await dataSource.query(sql, parameters);
  return count;
}

async function countByState(dataSource: DataSource, states: string): Promise<Record<string, number>> {
  const rows: { state: string; count: number }[] = await dataSource.query(
    `SELECT "state", count(*)::int AS "count" FROM (${states}) s GROUP BY "state" ORDER BY "state"`,
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.count]));
}

async function sizeOf(dataSource: DataSource, table: string): Promise<number> {
  const [{ bytes }]: { bytes: string }[] = await dataSource.query(`SELECT pg_total_relation_size($1)::bigint AS "bytes"`, [table]);
  return Number(bytes);
}

function sortedKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function latencies(writes: readonly Write[]): string {
  if (writes.length === 0) return 'none';
  const sorted = writes.map((write) => write.ms).sort((a, b) => a - b);
  const at = (share: number) => ms(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms(sorted[sorted.length - 1])} ms (${writes.length.toLocaleString('en')})`;
}

function distinct(writes: readonly Write[]): string {
  const counts = new Map<string, number>();
  for (const write of writes) counts.set(write.error ?? '', (counts.get(write.error ?? '') ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([error, count]) => `${count} × ${error}`).join('; ');
}

function perSecond(writes: readonly Write[], from: number, to: number): string {
  return Math.round(writes.length / ((to - from) / 1000)).toLocaleString('en');
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const seconds = (milliseconds: number) => (milliseconds / 1000).toFixed(1);
const ms = (milliseconds: number) => milliseconds.toFixed(1);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
