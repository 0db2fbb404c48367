import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import type { SmsEventEntity } from './sms-event.entity';
import type { SmsEventStateEntity } from './sms-event-state.entity';
import {
  COMPLETED_SMS_EVENT_STATES,
  REPLAYABLE_SMS_EVENT_STATES,
  REPROCESSABLE_SMS_EVENT_STATES,
  type SmsEventState,
  UNFINISHED_SMS_EVENT_STATES,
} from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** First key of the two-key advisory lock space, so the library's locks never meet the host's. */
const LOCK_NAMESPACE = 0x6f70736d; // 'opsm'

/** Unfinished states that {@link SmsEventLifecycle.markProcessing} moves to `processing`. */
const WAITING_SMS_EVENT_STATES = UNFINISHED_SMS_EVENT_STATES.filter((state) => state !== 'processing');

/** An inbox row as the worker reads it when it claims it (see {@link SmsEventLifecycle.claim}). */
export interface DispatchRow
  extends
    Pick<
      SmsEventEntity,
      'id' | 'event' | 'messageId' | 'phone' | 'status' | 'error' | 'occurredAt' | 'receivedAt' | 'payload' | 'tenant' | 'traceContext'
    >,
    Pick<SmsEventStateEntity, 'state' | 'reprocess'> {
  /** A later event of the same message was already processed. */
  stale: boolean;
  /** Handlers whose transaction already committed for this event. */
  completedHandlers: string[];
}

/** Where an attempt left an event (see {@link SmsEventLifecycle.complete}). */
export interface DispatchEnd {
  eventId: string;
  state: Extract<SmsEventState, 'processed' | 'ignored' | 'failed' | 'dead'>;
  attempt: number;
  /** The failure of a `failed` or `dead` event; `null` otherwise. */
  lastError: string | null;
  /** The handlers that committed their work in this attempt. */
  handlers: string[];
}

/**
 * Whether a later event of the same message was processed before the event `e` (with its state row
 * `s`) was: a later `timestamp`, or at the same timestamp a final event over a `pending`. The one
 * definition of `ctx.stale`, used by the claim and by the message timeline.
 */
export function staleCondition(tables: Pick<SmsEventTables, 'events' | 'states'>, e: string, s: string): string {
  return `(${e}."message_id" IS NOT NULL AND ${e}."occurred_at" IS NOT NULL AND EXISTS (
     SELECT 1 FROM ${tables.events} later JOIN ${tables.states} later_state ON later_state."event_id" = later."id"
      WHERE later."message_id" = ${e}."message_id" AND later."id" <> ${e}."id" AND later_state."state" = 'processed'
        AND (later."occurred_at" > ${e}."occurred_at"
             OR (later."occurred_at" = ${e}."occurred_at" AND ${e}."event" = 'sms.pending'
                 AND later."event" IN ('sms.delivered', 'sms.failed')))
        AND (${s}."processed_at" IS NULL OR later_state."processed_at" < ${s}."processed_at")
   ))`;
}

/**
 * The worker's state changes of an inbox event (see {@link SMS_EVENT_STATES} for the state machine):
 * the message locks, the claim, the end of an attempt with its handlers' completion, and replay.
 * The batch methods take the transaction's runner and several events, so that a batch of events
 * costs the same few round trips as one; only the end of an attempt writes, one narrow state row
 * per event.
 */
@Injectable()
export class SmsEventLifecycle {
  constructor(private readonly tables: SmsEventTables) {}

  /**
   * Shows events as `processing` while a batch works on them for longer than a glance (the
   * dispatcher calls it only for slow batches), on a connection of its own. Only a marker for people
   * and tools looking at the inbox, and its commit does not wait for the disk (losing it in a crash
   * loses nothing): the claim under the message locks is what decides.
   */
  async markProcessing(ids: readonly string[]): Promise<void> {
    await this.tables.dataSource.query(
      `WITH "async_commit" AS (SELECT set_config('synchronous_commit', 'off', true))
       UPDATE ${this.tables.states} SET "state" = 'processing', "updated_at" = now()
         FROM "async_commit"
        WHERE "event_id" = ANY($1) AND "state" = ANY($2)`,
      [ids, WAITING_SMS_EVENT_STATES],
    );
  }

  /**
   * Takes, in the runner's transaction, a PostgreSQL advisory lock on the message of each event (its
   * `message_id`, else the event itself), so that events of one message never run concurrently in
   * any process. The locks are taken in the order of their lock ids, so that two transactions
   * locking overlapping sets wait for each other instead of deadlocking, and are released by the
   * commit or rollback (a crashed process loses its connection, and with it the locks). They are
   * the locks earlier versions held for a session, so that old and new workers exclude each other.
   */
  async lockMessages(ids: readonly string[], runner: QueryRunner): Promise<void> {
    // NOTE: the locking runs over the sorted subquery, in its order (PostgreSQL's documented idiom).
    await runner.query(
      `SELECT count(pg_advisory_xact_lock($2, "lock")) FROM (
         SELECT DISTINCT hashtext(coalesce("message_id", "id"::text)) AS "lock"
           FROM ${this.tables.events} WHERE "id" = ANY($1) ORDER BY "lock"
       ) "locks"`,
      [ids, LOCK_NAMESPACE],
    );
  }

  /**
   * Reads, under {@link lockMessages}, the events that are not finished, as the worker needs them,
   * with whether each is {@link staleCondition stale} and the handlers that already committed. A
   * read, not a write: the message locks keep every other worker away until this transaction ends,
   * and {@link complete} records the attempt. The rows come ordered by message, then by time within
   * a message.
   */
  async claim(ids: readonly string[], runner: QueryRunner): Promise<DispatchRow[]> {
    return runner.query(
      `SELECT e."id", e."event", e."message_id" AS "messageId", e."phone", e."status", e."error",
              e."occurred_at" AS "occurredAt", e."received_at" AS "receivedAt", e."payload", s."state", e."tenant",
              e."trace_context" AS "traceContext", s."reprocess", ${staleCondition(this.tables, 'e', 's')} AS "stale",
              ARRAY(SELECT jsonb_object_keys(s."completed_handlers")) AS "completedHandlers"
         FROM ${this.tables.states} s JOIN ${this.tables.events} e ON e."id" = s."event_id"
        WHERE s."event_id" = ANY($1) AND s."state" = ANY($2)
        ORDER BY coalesce(e."message_id", e."id"::text), e."occurred_at" NULLS FIRST, (e."event" <> 'sms.pending'), e."received_at", e."id"`,
      [ids, UNFINISHED_SMS_EVENT_STATES],
    );
  }

  /**
   * Records, in the runner's transaction and one statement, where each event's attempt left it and
   * the handlers that committed their work in it.
   */
  async complete(ends: readonly DispatchEnd[], runner: QueryRunner): Promise<void> {
    if (ends.length === 0) return;
    await runner.query(
      `UPDATE ${this.tables.states} s
          SET "state" = x."state", "attempts" = x."attempt", "last_error" = x."lastError", "updated_at" = now(),
              "processed_at" = CASE WHEN x."state" = ANY($2) THEN now() ELSE s."processed_at" END,
              "reprocess" = CASE WHEN x."state" = ANY($2) THEN NULL ELSE s."reprocess" END,
              "completed_handlers" = s."completed_handlers" || coalesce(
                (SELECT jsonb_object_agg(h, jsonb_build_object('attempt', x."attempt", 'at', now())) FROM unnest(x."handlers") h),
                '{}'::jsonb)
         FROM jsonb_to_recordset($1::jsonb) AS x("eventId" uuid, "state" text, "attempt" int, "lastError" text, "handlers" text[])
        WHERE s."event_id" = x."eventId"`,
      [JSON.stringify(ends), COMPLETED_SMS_EVENT_STATES],
    );
  }

  /**
   * Puts `dead` (or `failed`) events back to `received` with a fresh attempt count, and hands them
   * to the relay to replace their ended job with a new one; returns their ids.
   */
  async reopen(ids: readonly string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `WITH reopened AS (
         UPDATE ${this.tables.states}
            SET "state" = 'received', "attempts" = 0, "last_error" = NULL, "updated_at" = now()
          WHERE "event_id" = ANY($1) AND "state" = ANY($2) RETURNING "event_id"
       ), queued AS (
         INSERT INTO ${this.tables.outbox} ("event_id", "replace") SELECT "event_id", true FROM reopened
       )
       SELECT "event_id" AS "id" FROM reopened`,
      [ids, REPLAYABLE_SMS_EVENT_STATES],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Puts finished events (`processed`, `ignored`, `dead`) back to `received` with a fresh attempt
   * count to run `handlers` again (`null`: every handler): their completion marks are cleared, the
   * others' kept, and the event marked so that its attempts run only those handlers; then hands them
   * to the relay, whose jobs for them wait behind live traffic. Returns the ids reopened (an event that is not finished is left as it is).
   */
  async reopenForReprocess(ids: readonly string[], handlers: readonly string[] | null): Promise<string[]> {
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `WITH reopened AS (
         UPDATE ${this.tables.states}
            SET "state" = 'received', "attempts" = 0, "last_error" = NULL, "processed_at" = NULL, "updated_at" = now(),
                "completed_handlers" = CASE WHEN $2::text[] IS NULL THEN '{}'::jsonb ELSE "completed_handlers" - $2::text[] END,
                "reprocess" = jsonb_build_object('handlers', to_jsonb($2::text[]))
          WHERE "event_id" = ANY($1) AND "state" = ANY($3) RETURNING "event_id"
       ), queued AS (
         INSERT INTO ${this.tables.outbox} ("event_id", "replace", "background") SELECT "event_id", true, true FROM reopened
       )
       SELECT "event_id" AS "id" FROM reopened`,
      [ids, handlers, REPROCESSABLE_SMS_EVENT_STATES],
    );
    return rows.map((row) => row.id);
  }
}
