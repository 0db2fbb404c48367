import type { DataSource } from 'typeorm';

/**
 * How a filled inbox's rows are spread over the states: a SQL `CASE` over the row number `i` (1 to
 * the row count, `$1`; the highest numbers are the newest rows) that yields each row's state.
 */
export type InboxStateMix = string;

/** The console's mix: about 1 % dead, 0.5 % failed, 0.2 % invalid and ignored, the newest 300 received. */
export const CONSOLE_STATES: InboxStateMix = `CASE
  WHEN i % 97 = 1 THEN 'dead'
  WHEN i % 200 = 2 THEN 'failed'
  WHEN i % 500 = 3 THEN 'invalid'
  WHEN i % 500 = 4 THEN 'ignored'
  WHEN i > $1::int - 300 THEN 'received'
  ELSE 'processed' END`;

/** A healthy inbox: everything finished (about 1 % dead, 0.2 % invalid and ignored), no backlog. */
export const FINISHED_STATES: InboxStateMix = `CASE
  WHEN i % 97 = 1 THEN 'dead'
  WHEN i % 500 = 3 THEN 'invalid'
  WHEN i % 500 = 4 THEN 'ignored'
  ELSE 'processed' END`;

/**
 * The `FROM` clause of `$1` generated events: row number `i` (the highest the newest), received at
 * `r.at` (one every 2 seconds up to now), with payload event `t.event` (about 1 in 1000
 * `sms.queued`, a quarter `sms.pending` and `sms.failed` each, the rest `sms.delivered`), its
 * `t.status`, and state `s.state`.
 */
export function generatedInboxRows(states: InboxStateMix): string {
  return `generate_series(1, $1::int) AS i
    CROSS JOIN LATERAL (SELECT now() - ($1::int - i) * interval '2 seconds' AS at) r
    CROSS JOIN LATERAL (SELECT CASE
              WHEN i % 1000 = 7 THEN 'sms.queued'
              WHEN i % 4 = 0 THEN 'sms.pending'
              WHEN i % 4 = 3 THEN 'sms.failed'
              ELSE 'sms.delivered' END AS event) e
    CROSS JOIN LATERAL (SELECT e.event, CASE WHEN e.event = 'sms.queued' THEN 'queued' ELSE substr(e.event, 5) END AS status) t
    CROSS JOIN LATERAL (SELECT ${states} AS state) s`;
}

/**
 * Fills the inbox of `schema` (migrated) with `rows` events and their states in one statement: messages
 * of 4 events, 200,000 phones, one event every 2 seconds up to now; then ANALYZE, so the planner
 * knows them.
 */
export async function fillInbox(dataSource: DataSource, schema: string, rows: number, states: InboxStateMix): Promise<void> {
  await dataSource.query(
    `WITH source AS (
       SELECT gen_random_uuid() AS id, i, r.at, t.event, t.status, s.state, '+2547' || lpad((i % 200000)::text, 8, '0') AS phone
         FROM ${generatedInboxRows(states)}
     ), events AS (
       INSERT INTO "${schema}"."opensms_webhook_events"
         ("id", "dedupe_key", "event", "message_id", "phone", "status", "error", "occurred_at", "received_at", "payload", "headers")
       SELECT id, md5(i::text), event, 'msg_' || (i / 4), phone, status,
              CASE WHEN event = 'sms.failed' THEN 'Invalid phone number' END, at - interval '1 second', at,
              jsonb_build_object('event', event, 'message_id', 'msg_' || (i / 4), 'phone', phone,
                                 'status', status, 'timestamp', to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
              '{"content-type":"application/json"}'::jsonb
         FROM source
     )
     INSERT INTO "${schema}"."opensms_webhook_event_states"
       ("event_id", "state", "attempts", "received_at", "updated_at", "processed_at", "last_error")
     SELECT id, state, CASE WHEN state = 'received' THEN 0 ELSE 1 END, at, at,
            CASE WHEN state IN ('processed', 'ignored') THEN at + interval '50 milliseconds' END,
            CASE WHEN state IN ('dead', 'failed') THEN 'Handler failed' END
       FROM source`,
    [rows],
  );
  await dataSource.query(`VACUUM ANALYZE "${schema}"."opensms_webhook_events"`);
  await dataSource.query(`VACUUM ANALYZE "${schema}"."opensms_webhook_event_states"`);
}
