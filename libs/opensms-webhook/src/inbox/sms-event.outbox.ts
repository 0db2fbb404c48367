import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { UNFINISHED_SMS_EVENT_STATES } from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** A stored event the relay owes a job (see {@link SmsEventOutbox.claimUnqueued}). */
export interface UnqueuedSmsEvent {
  id: string;
  /** An earlier job of this event may still exist (replay, lost job): it is removed first. */
  replace: boolean;
  /** Still has work ahead of it; `false` for rows that need no job (`invalid`, already finished). */
  unfinished: boolean;
}

/**
 * The inbox as an outbox: every stored event carries `job_pending` (`'add'` on insert, `'replace'`
 * after a replay or a lost job) until the relay has put its job on the queue. Ingest never waits
 * for the queue; the relay moves pending rows in batches.
 */
@Injectable()
export class SmsEventOutbox {
  constructor(private readonly tables: SmsEventTables) {}

  /**
   * The `LISTEN` channel of this inbox table, the same in every process on the database (named
   * after the table's oid, so inboxes in other schemas do not wake each other).
   */
  async channel(): Promise<string> {
    const [row]: { channel: string }[] = await this.tables.dataSource.query(
      `SELECT 'opensms_webhook_' || to_regclass($1)::oid AS "channel"`,
      [this.tables.events],
    );
    return row.channel;
  }

  /** Wakes the relays listening on `channel` (delivered when this statement commits). */
  async notify(channel: string): Promise<void> {
    await this.tables.dataSource.query(`SELECT pg_notify($1, '')`, [channel]);
  }

  /**
   * Locks up to `limit` pending rows, oldest first, in the runner's transaction; rows another
   * relay holds are skipped, so several relays share the work.
   */
  claimUnqueued(runner: QueryRunner, limit: number): Promise<UnqueuedSmsEvent[]> {
    return runner.query(
      `SELECT "id", "job_pending" = 'replace' AS "replace", "state" = ANY($2) AS "unfinished"
         FROM ${this.tables.events}
        WHERE "job_pending" IS NOT NULL
        ORDER BY "received_at"
        LIMIT $1
          FOR UPDATE SKIP LOCKED`,
      [limit, UNFINISHED_SMS_EVENT_STATES],
    );
  }

  /** Marks claimed rows as queued, in the runner's transaction. */
  async markQueued(runner: QueryRunner, ids: readonly string[]): Promise<void> {
    await runner.query(`UPDATE ${this.tables.events} SET "job_pending" = NULL WHERE "id" = ANY($1)`, [ids]);
  }

  /**
   * Hands unfinished, queued events whose job was lost back to the relay, which replaces their
   * job. Returns the ids it marked.
   */
  async requeue(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `WITH marked AS (
         UPDATE ${this.tables.events} SET "job_pending" = 'replace'
          WHERE "id" = ANY($1) AND "job_pending" IS NULL AND "state" = ANY($2) RETURNING "id"
       )
       SELECT "id" FROM marked`,
      [ids, UNFINISHED_SMS_EVENT_STATES],
    );
    return rows.map((row) => row.id);
  }
}
