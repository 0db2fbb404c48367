import { type Job, Worker } from 'bullmq';
import { Pool, type PoolClient } from 'pg';
import { movesForward } from '../src/messages/sms-message-status';
import { BENCH } from './bench.config';
import { BENCH_MESSAGE_EVENTS_TABLE, BENCH_MESSAGES_TABLE } from './bench-message.entity';
import { type BenchStore, bullOptionsOf } from './bench-store-config';
import { HANDWRITTEN_EVENTS_TABLE, HANDWRITTEN_QUEUE } from './handwritten-receiver.app';

/** The verified payload the hand-written receiver stored. */
interface StatusReport {
  event: string;
  message_id: string;
  phone: string;
  status: string;
  error?: string;
  timestamp: string;
}

/** Qualified names of the tables the hand-written worker writes. */
function tablesOf(schema: string) {
  return {
    events: `"${schema}"."${HANDWRITTEN_EVENTS_TABLE}"`,
    messages: `"${schema}"."${BENCH_MESSAGES_TABLE}"`,
    history: `"${schema}"."${BENCH_MESSAGE_EVENTS_TABLE}"`,
  };
}

type Tables = ReturnType<typeof tablesOf>;

/**
 * The example app's handler work in raw SQL: read the message, upsert it when the report moves it
 * forward, insert the history row.
 */
async function applyStatusReport(client: PoolClient, tables: Tables, eventId: string, report: StatusReport): Promise<void> {
  const { rows } = await client.query<{ status: string; status_at: Date }>(
    `SELECT "status", "status_at" FROM ${tables.messages} WHERE "message_id" = $1`,
    [report.message_id],
  );
  const current = rows[0] ? { status: rows[0].status, statusAt: rows[0].status_at } : null;
  const occurredAt = new Date(report.timestamp);
  const error = report.event === 'sms.failed' ? (report.error ?? '') : null;
  const applied = movesForward(current, { status: report.status, occurredAt });
  if (applied) {
    await client.query(
      `INSERT INTO ${tables.messages} ("message_id", "phone", "status", "error", "status_at", "updated_at")
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT ("message_id") DO UPDATE SET "phone" = EXCLUDED."phone", "status" = EXCLUDED."status",
         "error" = EXCLUDED."error", "status_at" = EXCLUDED."status_at", "updated_at" = EXCLUDED."updated_at"`,
      [report.message_id, report.phone, report.status, error, occurredAt],
    );
  }
  await client.query(
    `INSERT INTO ${tables.history} ("inbox_event_id", "message_id", "event", "status", "error", "occurred_at", "applied")
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [eventId, report.message_id, report.event, report.status, error, occurredAt, applied],
  );
}

/** One job, one transaction: lock the stored row, skip it if already processed, do the work, mark it processed. */
async function processStoredEvent(pool: Pool, tables: Tables, eventId: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ payload: StatusReport; state: string }>(
      `SELECT "payload", "state" FROM ${tables.events} WHERE "id" = $1 FOR UPDATE`,
      [eventId],
    );
    if (rows[0] && rows[0].state !== 'processed') {
      await applyStatusReport(client, tables, eventId, rows[0].payload);
      await client.query(`UPDATE ${tables.events} SET "state" = 'processed', "processed_at" = now() WHERE "id" = $1`, [eventId]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * What a user writes by hand to process the hand-written receiver's jobs: a plain BullMQ `Worker`
 * (concurrency `BENCH.concurrency`) and a raw `pg` `Pool` (max `BENCH.poolSize`), one transaction per job.
 */
export function startHandwrittenWorker(store: BenchStore): { worker: Worker; close: () => Promise<void> } {
  const pool = new Pool({ connectionString: BENCH.databaseUrl, max: BENCH.poolSize });
  const tables = tablesOf(store.schema);
  const { options, backend } = bullOptionsOf(store);
  const worker = new Worker(
    HANDWRITTEN_QUEUE,
    (job: Job<{ eventId: string }>) => processStoredEvent(pool, tables, job.data.eventId),
    { ...options, concurrency: BENCH.concurrency },
    backend,
  );
  return { worker, close: () => worker.close().then(() => pool.end()) };
}
