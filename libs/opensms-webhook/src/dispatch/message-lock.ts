import type { QueryRunner } from 'typeorm';

/** First key of the two-key advisory lock space, so the library's locks never meet the host's. */
const LOCK_NAMESPACE = 0x6f70736d; // 'opsm'

/**
 * Holds a PostgreSQL session advisory lock on a message id while `work` runs on the same
 * connection, so that events of one message never run concurrently in any process. A crashed
 * process loses its connection and with it the lock.
 */
export async function withMessageLock<T>(runner: QueryRunner, messageKey: string, work: () => Promise<T>): Promise<T> {
  await runner.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, messageKey]);
  try {
    return await work();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, messageKey]);
  }
}
