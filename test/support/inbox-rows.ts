import type { DataSource } from 'typeorm';

/** One event's state row: where it stands, with its handlers' completion marks. */
export interface EventStateRow {
  id: string;
  state: string;
  completed: Record<string, unknown>;
}

/** Where each event of a schema stands (a {@link connectToSchema} connection), by event id. */
export async function eventStates(db: DataSource): Promise<EventStateRow[]> {
  return db.query(
    `SELECT "event_id" AS "id", "state", "completed_handlers" AS "completed" FROM "opensms_webhook_event_states" ORDER BY "event_id"`,
  );
}

/** Events of a schema whose job is still to be queued. */
export async function outboxSize(db: DataSource): Promise<number> {
  return (await db.query(`SELECT count(*)::int AS "count" FROM "opensms_webhook_outbox"`))[0].count;
}

/** What {@link storeProcessedEvents} stores. */
export interface ProcessedEvents {
  count: number;
  /** Payload `event` name, e.g. `'sms.delivered'`; its status is the name's second part. */
  event: string;
  /** Message ids are this prefix and the event's number (1 to `count`). */
  messagePrefix: string;
  /** The handler whose completion each event records. */
  handler: string;
}

/**
 * Stores `count` events as the inbox holds them once processed, in one statement: one per message,
 * received a second apart up to an hour ago, each completed by `handler`.
 */
export async function storeProcessedEvents(db: DataSource, { count, event, messagePrefix, handler }: ProcessedEvents): Promise<void> {
  await db.query(
    `WITH source AS (
       SELECT gen_random_uuid() AS id, i, $2 || i AS message_id,
              now() - interval '1 hour' - ($1::int - i) * interval '1 second' AS at
         FROM generate_series(1, $1::int) AS i
     ), events AS (
       INSERT INTO "opensms_webhook_events" ("id", "dedupe_key", "event", "message_id", "status", "occurred_at", "received_at", "payload")
       SELECT id, message_id, $3, message_id, $4, at, at, jsonb_build_object('event', $3::text, 'message_id', message_id, 'status', $4::text)
         FROM source
     )
     INSERT INTO "opensms_webhook_event_states" ("event_id", "state", "attempts", "received_at", "processed_at", "completed_handlers")
     SELECT id, 'processed', 1, at, at, jsonb_build_object($5::text, jsonb_build_object('attempt', 1, 'at', at))
       FROM source`,
    [count, messagePrefix, event, event.slice('sms.'.length), handler],
  );
}
