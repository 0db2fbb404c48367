import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Splits what changes from what does not: the events table keeps the calls as received, written
 * once; where each event stands moves to the narrow `opensms_webhook_event_states` (one row per
 * event, its completed handlers included, replacing `opensms_webhook_handler_runs`), and the events
 * still to be queued to `opensms_webhook_outbox`. A state change then rewrites tens of bytes and one
 * index entry instead of the whole call and every index of the events table.
 *
 * Runs in one transaction in either TypeORM transaction mode. The copy of existing rows takes no
 * lock that stops ingest; only the last step does, while it copies again the few rows changed
 * during the copy (by an older version still running) and drops the moved columns, which rewrites
 * nothing.
 */
export class SplitOpenSmsWebhookEventState1764600000000 implements MigrationInterface {
  name = 'SplitOpenSmsWebhookEventState1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { events, states, outbox, runs } = tablesOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${states} (
        "event_id" uuid PRIMARY KEY,
        -- NOTE: a migration is history: this list stays as written; a new state comes with a migration of its own.
        "state" text NOT NULL CONSTRAINT "opensms_webhook_event_states_state_check"
          CHECK ("state" IN ('received', 'processing', 'processed', 'failed', 'dead', 'invalid', 'ignored')),
        "attempts" integer NOT NULL DEFAULT 0,
        "received_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "processed_at" timestamptz,
        "last_error" text,
        "completed_handlers" jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await queryRunner.query(`
      CREATE TABLE ${outbox} (
        "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "event_id" uuid NOT NULL,
        "replace" boolean NOT NULL DEFAULT false
      )`);

    // NOTE: every change the copy may miss is made by a transaction running now or started later,
    // and sets "updated_at" to that transaction's start (inserts included): no earlier than this.
    const [{ since }]: { since: Date }[] = await queryRunner.query(
      `SELECT least(clock_timestamp(), min("xact_start")) AS "since" FROM pg_stat_activity
        WHERE "datname" = current_database() AND "pid" <> pg_backend_pid() AND "xact_start" IS NOT NULL`,
    );
    await queryRunner.query(`INSERT INTO ${states} ${stateRowsOf(events, runs)}`);
    await queryRunner.query(
      `CREATE INDEX "opensms_webhook_event_states_open_idx" ON ${states} ("state", "received_at", "event_id")
        WHERE "state" <> 'processed'`,
    );

    await queryRunner.query(`LOCK TABLE ${events}, ${runs} IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(
      `INSERT INTO ${states} ${stateRowsOf(events, runs, `e."state" = ANY($1) AND e."updated_at" >= $2`)}
       ON CONFLICT ("event_id") DO UPDATE SET
         "state" = excluded."state", "attempts" = excluded."attempts", "updated_at" = excluded."updated_at",
         "processed_at" = excluded."processed_at", "last_error" = excluded."last_error",
         "completed_handlers" = excluded."completed_handlers"`,
      [ALL_STATES, since],
    );
    await queryRunner.query(
      `INSERT INTO ${outbox} ("event_id", "replace")
       SELECT "id", "job_pending" = 'replace' FROM ${events}
        WHERE "job_pending" IS NOT NULL AND "state" IN ('received', 'processing', 'failed')
        ORDER BY "received_at"`,
    );
    await queryRunner.query(`DROP TABLE ${runs}`);
    await queryRunner.query(
      `ALTER TABLE ${events} DROP COLUMN "state", DROP COLUMN "attempts", DROP COLUMN "last_error",
         DROP COLUMN "processed_at", DROP COLUMN "job_pending", DROP COLUMN "updated_at"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { events, states, outbox, runs } = tablesOf(queryRunner);
    await queryRunner.query(
      `ALTER TABLE ${events} ADD COLUMN "state" text, ADD COLUMN "attempts" integer NOT NULL DEFAULT 0,
         ADD COLUMN "last_error" text, ADD COLUMN "processed_at" timestamptz,
         ADD COLUMN "job_pending" text CHECK ("job_pending" IN ('add','replace')),
         ADD COLUMN "updated_at" timestamptz NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(
      `UPDATE ${events} e SET "state" = s."state", "attempts" = s."attempts", "last_error" = s."last_error",
              "processed_at" = s."processed_at", "updated_at" = s."updated_at",
              "job_pending" = (SELECT CASE WHEN bool_or(o."replace") THEN 'replace' ELSE 'add' END
                                 FROM ${outbox} o WHERE o."event_id" = e."id" HAVING count(*) > 0)
         FROM ${states} s WHERE s."event_id" = e."id"`,
    );
    await queryRunner.query(
      `ALTER TABLE ${events} ALTER COLUMN "state" SET NOT NULL, ALTER COLUMN "job_pending" SET DEFAULT 'add',
         ADD CHECK ("state" IN ('received','processing','processed','failed','dead','invalid','ignored'))`,
    );
    for (const [name, definition] of DROPPED_INDEXES) await queryRunner.query(`CREATE INDEX "${name}" ON ${events} ${definition}`);
    await queryRunner.query(`
      CREATE TABLE ${runs} (
        "event_id" uuid NOT NULL REFERENCES ${events} ("id") ON DELETE CASCADE,
        "handler" text NOT NULL,
        "completed_at" timestamptz NOT NULL DEFAULT now(),
        "attempt" integer,
        PRIMARY KEY ("event_id", "handler")
      )`);
    await queryRunner.query(
      `INSERT INTO ${runs} ("event_id", "handler", "completed_at", "attempt")
       SELECT s."event_id", run.key, (run.value->>'at')::timestamptz, (run.value->>'attempt')::int
         FROM ${states} s, jsonb_each(s."completed_handlers") run`,
    );
    await queryRunner.query(`DROP TABLE ${outbox}`);
    await queryRunner.query(`DROP TABLE ${states}`);
  }
}

const ALL_STATES = ['received', 'processing', 'processed', 'failed', 'dead', 'invalid', 'ignored'];

/** The indexes of the events table that went with the moved columns, as the earlier migrations made them. */
const DROPPED_INDEXES: readonly (readonly [string, string])[] = [
  ['opensms_webhook_events_unfinished_idx', '("state", "updated_at")'],
  ['opensms_webhook_events_processed_message_idx', `("message_id", "occurred_at") WHERE "state" = 'processed'`],
  ['opensms_webhook_events_job_pending_idx', '("received_at") WHERE "job_pending" IS NOT NULL'],
  ['opensms_webhook_events_state_received_idx', '("state", "received_at", "id")'],
];

function tablesOf(queryRunner: QueryRunner) {
  const table = (name: string) => qualifiedTableName(queryRunner.connection, name);
  return {
    events: table('opensms_webhook_events'),
    states: table('opensms_webhook_event_states'),
    outbox: table('opensms_webhook_outbox'),
    runs: table('opensms_webhook_handler_runs'),
  };
}

/** The state rows of the events matching `where`, built from the columns and handler runs of the earlier schema. */
function stateRowsOf(events: string, runs: string, where = 'true'): string {
  return `("event_id", "state", "attempts", "received_at", "updated_at", "processed_at", "last_error", "completed_handlers")
    SELECT e."id", e."state", e."attempts", e."received_at", e."updated_at", e."processed_at", e."last_error",
           coalesce(r."handlers", '{}'::jsonb)
      FROM ${events} e
      LEFT JOIN LATERAL (
        SELECT jsonb_object_agg("handler", jsonb_build_object('attempt', "attempt", 'at', "completed_at")) AS "handlers"
          FROM ${runs} WHERE "event_id" = e."id"
      ) r ON true
     WHERE ${where}`;
}
