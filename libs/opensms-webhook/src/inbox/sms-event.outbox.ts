import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { UNFINISHED_SMS_EVENT_STATES } from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** A stored event the relay owes a job (see {@link SmsEventOutbox.claimUnqueued}). */
export interface UnqueuedSmsEvent {
  /** The outbox entry, deleted once the job is queued. */
  entry: string;
  /** The event's inbox id, which is also its job id. */
  id: string;
  /** An earlier job of this event may still exist (replay, lost job): it is removed first. */
  replace: boolean;
  /** The job runs behind live traffic (a reprocessing). */
  background: boolean;
}

/**
 * The outbox of the inbox (`opensms_webhook_outbox`): ingest adds an entry with every stored event,
 * a replay or the reconciler one for an event whose job must be replaced, and the relay deletes
 * entries in the transaction that queued their jobs. Ingest never waits for the queue; the relay
 * moves entries in batches.
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
   * Locks up to `limit` outbox entries, oldest first, in the runner's transaction; entries another
   * relay holds are skipped, so several relays share the work.
   */
  claimUnqueued(runner: QueryRunner, limit: number): Promise<UnqueuedSmsEvent[]> {
    return runner.query(
      `SELECT "id"::text AS "entry", "event_id" AS "id", "replace", "background" FROM ${this.tables.outbox}
        ORDER BY "id" LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  /** Deletes the entries of queued events, in the runner's transaction. */
  async markQueued(runner: QueryRunner, events: readonly UnqueuedSmsEvent[]): Promise<void> {
    await runner.query(`DELETE FROM ${this.tables.outbox} WHERE "id" = ANY($1::bigint[])`, [events.map((event) => event.entry)]);
  }

  /**
   * Hands unfinished events whose job was lost back to the relay, which replaces their job (events
   * the relay has not queued yet are left to it). Returns the ids it handed over.
   */
  async requeue(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `WITH queued AS (
         INSERT INTO ${this.tables.outbox} ("event_id", "replace")
         SELECT s."event_id", true FROM ${this.tables.states} s
          WHERE s."event_id" = ANY($1) AND s."state" = ANY($2)
            AND NOT EXISTS (SELECT 1 FROM ${this.tables.outbox} o WHERE o."event_id" = s."event_id")
         RETURNING "event_id"
       )
       SELECT "event_id" AS "id" FROM queued`,
      [ids, UNFINISHED_SMS_EVENT_STATES],
    );
    return rows.map((row) => row.id);
  }
}
