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
