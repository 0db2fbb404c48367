import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import type { SmsEventEntity } from './sms-event.entity';
import {
  COMPLETED_SMS_EVENT_STATES,
  REPLAYABLE_SMS_EVENT_STATES,
  type SmsEventState,
  UNFINISHED_SMS_EVENT_STATES,
} from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** First key of the two-key advisory lock space, so the library's locks never meet the host's. */
const LOCK_NAMESPACE = 0x6f70736d; // 'opsm'

/** An inbox row as the worker reads it when it claims it (see {@link SmsEventLifecycle.claim}). */
export interface DispatchRow
  extends Pick<
    SmsEventEntity,
    'id' | 'event' | 'messageId' | 'phone' | 'status' | 'error' | 'occurredAt' | 'receivedAt' | 'payload' | 'state'
  > {
  /** A later event of the same message was already processed. */
  stale: boolean;
  /** Handlers whose transaction already committed for this event. */
  completedHandlers: string[];
}

/**
 * The worker's state changes of an inbox row (see {@link SMS_EVENT_STATES} for the state machine):
 * the message lock, the claim, handler completion marks, final states and replay.
 */
@Injectable()
export class SmsEventLifecycle {
  constructor(private readonly tables: SmsEventTables) {}

  /**
   * Holds a PostgreSQL session advisory lock on an event's message (its `message_id`, else the
   * event itself) while `work` runs on the same connection, so that events of one message never run
   * concurrently in any process. A crashed process loses its connection and with it the lock.
   * Resolves `null` without running `work` when the event does not exist.
   */
  async withMessageLock<T>(runner: QueryRunner, eventId: string, work: () => Promise<T>): Promise<T | null> {
    const [locked]: { key: string }[] = await runner.query(
      `SELECT "key", pg_advisory_lock($2, hashtext("key")) FROM (
         SELECT coalesce("message_id", "id"::text) AS "key" FROM ${this.tables.events} WHERE "id" = $1
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

  /**
   * Claims an event for an attempt, in one round trip: marks it `processing` and returns it as its
   * worker needs it, with whether a later event of the same message was already processed
   * (`stale`) and the handlers that already committed. `null` when the event is finished or gone.
   */
  async claim(id: string, attempt: number, runner: QueryRunner): Promise<DispatchRow | null> {
    const [row]: DispatchRow[] = await runner.query(
      `WITH claimed AS (
         UPDATE ${this.tables.events} SET "state" = 'processing', "attempts" = $2, "updated_at" = now()
          WHERE "id" = $1 AND "state" = ANY($3)
          RETURNING "id", "event", "message_id", "phone", "status", "error", "occurred_at", "received_at", "payload", "state"
       )
       SELECT c."id", c."event", c."message_id" AS "messageId", c."phone", c."status", c."error",
              c."occurred_at" AS "occurredAt", c."received_at" AS "receivedAt", c."payload", c."state",
              (c."message_id" IS NOT NULL AND c."occurred_at" IS NOT NULL AND EXISTS (
                 SELECT 1 FROM ${this.tables.events} later
                  WHERE later."message_id" = c."message_id" AND later."id" <> c."id"
                    AND later."state" = 'processed' AND later."occurred_at" > c."occurred_at"
              )) AS "stale",
              ARRAY(SELECT r."handler" FROM ${this.tables.handlerRuns} r WHERE r."event_id" = c."id") AS "completedHandlers"
         FROM claimed c`,
      [id, attempt, UNFINISHED_SMS_EVENT_STATES],
    );
    return row ?? null;
  }

  /**
   * Records, in the runner's transaction, that a handler committed its work for an event (in the
   * attempt its claim recorded); with
   * `processedAttempt`, the same statement marks the event `processed` after that attempt.
   */
  async recordHandlerRun(eventId: string, handler: string, processedAttempt: number | undefined, runner: QueryRunner): Promise<void> {
    await runner.query(
      `WITH run AS (
         INSERT INTO ${this.tables.handlerRuns} ("event_id", "handler", "attempt")
         VALUES ($1, $2, (SELECT "attempts" FROM ${this.tables.events} WHERE "id" = $1))
       )
       UPDATE ${this.tables.events}
          SET "state" = 'processed', "attempts" = $3, "last_error" = NULL, "processed_at" = now(), "updated_at" = now()
        WHERE "id" = $1 AND $3::int IS NOT NULL`,
      [eventId, handler, processedAttempt ?? null],
    );
  }

  /** Sets an event's state (and optional fields) on the given runner, or on the pool. */
  async setState(
    id: string,
    state: SmsEventState,
    fields: { lastError?: string | null; attempts?: number } = {},
    runner?: QueryRunner,
  ): Promise<void> {
    await (runner ?? this.tables.dataSource).query(
      `UPDATE ${this.tables.events}
          SET "state" = $2, "updated_at" = now(),
              "last_error" = CASE WHEN $3::boolean THEN $4 ELSE "last_error" END,
              "attempts" = coalesce($5, "attempts"),
              "processed_at" = CASE WHEN $2 = ANY($6) THEN now() ELSE "processed_at" END
        WHERE "id" = $1`,
      [id, state, fields.lastError !== undefined, fields.lastError ?? null, fields.attempts ?? null, COMPLETED_SMS_EVENT_STATES],
    );
  }

  /** Puts `dead` (or `failed`) events back to `received` with a fresh attempt count; returns their ids. */
  async reopen(ids: readonly string[]): Promise<string[]> {
    // NOTE: TypeORM answers a top-level UPDATE or DELETE with [rows, rowCount]; wrapped in a CTE it
    // is a SELECT, answered with the rows.
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `WITH reopened AS (
         UPDATE ${this.tables.events} SET "state" = 'received', "attempts" = 0, "last_error" = NULL, "updated_at" = now()
          WHERE "id" = ANY($1) AND "state" = ANY($2) RETURNING "id"
       )
       SELECT "id" FROM reopened`,
      [ids, REPLAYABLE_SMS_EVENT_STATES],
    );
    return rows.map((row) => row.id);
  }
}
