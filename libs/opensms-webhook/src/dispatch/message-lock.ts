import type { QueryRunner } from 'typeorm';

/** First key of the two-key advisory lock space, so the library's locks never meet the host's. */
const LOCK_NAMESPACE = 0x6f70736d; // 'opsm'

/**
 * Holds a PostgreSQL session advisory lock on an event's message (its `message_id`, else the
 * event itself) while `work` runs on the same connection, so that events of one message never run
 * concurrently in any process. A crashed process loses its connection and with it the lock.
 * Resolves `null` without running `work` when the event does not exist.
 *
 * @param eventsTable the quoted inbox table
 */
export async function withMessageLock<T>(
  runner: QueryRunner,
  eventsTable: string,
  eventId: string,
  work: () => Promise<T>,
): Promise<T | null> {
  const [locked]: { key: string }[] = await runner.query(
    `SELECT "key", pg_advisory_lock($2, hashtext("key")) FROM (
       SELECT coalesce("message_id", "id"::text) AS "key" FROM ${eventsTable} WHERE "id" = $1
     ) event`,
    [eventId, LOCK_NAMESPACE],
  );
  if (!locked) return null;
  try {
    return await work();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, locked.key]);
  }
}
