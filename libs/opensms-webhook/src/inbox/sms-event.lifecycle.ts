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

/** Unfinished states that {@link SmsEventLifecycle.markProcessing} moves to `processing`. */
const WAITING_SMS_EVENT_STATES = UNFINISHED_SMS_EVENT_STATES.filter((state) => state !== 'processing');

/** An inbox row as the worker reads it when it claims it (see {@link SmsEventLifecycle.claim}). */
export interface DispatchRow extends Pick<
  SmsEventEntity,
  | 'id'
  | 'event'
  | 'messageId'
  | 'phone'
  | 'status'
  | 'error'
  | 'occurredAt'
  | 'receivedAt'
  | 'payload'
  | 'state'
  | 'tenant'
  | 'traceContext'
> {
  /** A later event of the same message was already processed. */
  stale: boolean;
  /** Handlers whose transaction already committed for this event. */
  completedHandlers: string[];
}

/** An event's claim for one attempt (see {@link SmsEventLifecycle.claim}). */
export interface DispatchClaim {
  eventId: string;
  /** 1-based number of this attempt. */
  attempt: number;
}

/** Where an attempt left an event (see {@link SmsEventLifecycle.complete}). */
export interface DispatchEnd {
  eventId: string;
  state: Extract<SmsEventState, 'processed' | 'ignored' | 'failed' | 'dead'>;
  attempt: number;
  /** The failure of a `failed` or `dead` event; `null` otherwise. */
  lastError: string | null;
}

/** A handler that committed its work for an event. */
export interface HandlerRun {
  eventId: string;
  handler: string;
}

/**
 * The worker's state changes of an inbox row (see {@link SMS_EVENT_STATES} for the state machine):
 * the message locks, the claim, handler completion marks, final states and replay. The batch
 * methods take the transaction's runner and several events, so that a batch of events costs the
 * same few round trips as one.
 */
@Injectable()
export class SmsEventLifecycle {
  constructor(private readonly tables: SmsEventTables) {}

  /**
   * Shows events as `processing` at once, before the transaction that works on them commits. Only a
   * marker for people and tools looking at the inbox, and its commit does not wait for the disk
   * (losing it in a crash loses nothing). The claim under the message locks is what decides.
   * NOTE: it waits for a row the relay still holds (its job can start before the relay commits);
   * skipping such rows would leave a running event shown as `received`.
   */
  async markProcessing(ids: readonly string[], runner: QueryRunner): Promise<void> {
    await runner.query(
      `WITH "async_commit" AS (SELECT set_config('synchronous_commit', 'off', true))
       UPDATE ${this.tables.events} SET "state" = 'processing', "updated_at" = now()
         FROM "async_commit"
        WHERE "id" = ANY($1) AND "state" = ANY($2)`,
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
   * Claims events for their attempts in one statement (call it under {@link lockMessages}): marks
   * them `processing` and returns those that are not finished, as the worker needs them, with
   * whether a later event of the same message was already processed (`stale`: a later timestamp, or
   * at the same timestamp a final event over a `pending`) and the handlers
   * that already committed. The rows come ordered by message, then by time within a message.
   */
  async claim(claims: readonly DispatchClaim[], runner: QueryRunner): Promise<DispatchRow[]> {
    return runner.query(
      `WITH claimed AS (
         UPDATE ${this.tables.events} e SET "state" = 'processing', "attempts" = a."attempt", "updated_at" = now()
           FROM unnest($1::uuid[], $2::int[]) AS a("id", "attempt")
          WHERE e."id" = a."id" AND e."state" = ANY($3)
          RETURNING e."id", e."event", e."message_id", e."phone", e."status", e."error", e."occurred_at", e."received_at",
                    e."payload", e."state", e."tenant", e."trace_context"
       )
       SELECT c."id", c."event", c."message_id" AS "messageId", c."phone", c."status", c."error",
              c."occurred_at" AS "occurredAt", c."received_at" AS "receivedAt", c."payload", c."state", c."tenant",
              c."trace_context" AS "traceContext",
              (c."message_id" IS NOT NULL AND c."occurred_at" IS NOT NULL AND EXISTS (
                 SELECT 1 FROM ${this.tables.events} later
                  WHERE later."message_id" = c."message_id" AND later."id" <> c."id"
                    AND later."state" = 'processed'
                    AND (later."occurred_at" > c."occurred_at"
                         OR (later."occurred_at" = c."occurred_at" AND c."event" = 'sms.pending'
                             AND later."event" IN ('sms.delivered', 'sms.failed')))
              )) AS "stale",
              ARRAY(SELECT r."handler" FROM ${this.tables.handlerRuns} r WHERE r."event_id" = c."id") AS "completedHandlers"
         FROM claimed c
        ORDER BY coalesce(c."message_id", c."id"::text), c."occurred_at" NULLS FIRST, (c."event" <> 'sms.pending'), c."received_at", c."id"`,
      [claims.map((claim) => claim.eventId), claims.map((claim) => claim.attempt), UNFINISHED_SMS_EVENT_STATES],
    );
  }

  /**
   * Records, in the runner's transaction and one statement, the handlers that committed their work
   * and where each event's attempt left it.
   */
  async complete(runs: readonly HandlerRun[], ends: readonly DispatchEnd[], runner: QueryRunner): Promise<void> {
    await runner.query(
      `WITH "runs" AS (
         INSERT INTO ${this.tables.handlerRuns} ("event_id", "handler", "attempt")
         SELECT r."event_id", r."handler", e."attempts"
           FROM unnest($1::uuid[], $2::text[]) AS r("event_id", "handler")
           JOIN ${this.tables.events} e ON e."id" = r."event_id"
       ), "ended" AS (
         UPDATE ${this.tables.events} e
            SET "state" = x."state", "attempts" = x."attempt", "last_error" = x."last_error", "updated_at" = now(),
                "processed_at" = CASE WHEN x."state" = ANY($7) THEN now() ELSE e."processed_at" END
           FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[]) AS x("id", "state", "attempt", "last_error")
          WHERE e."id" = x."id"
       )
       SELECT 1`,
      [
        runs.map((run) => run.eventId),
        runs.map((run) => run.handler),
        ends.map((end) => end.eventId),
        ends.map((end) => end.state),
        ends.map((end) => end.attempt),
        ends.map((end) => end.lastError),
        COMPLETED_SMS_EVENT_STATES,
      ],
    );
  }

  /**
   * Puts `dead` (or `failed`) events back to `received` with a fresh attempt count, for the relay
   * to replace their ended job with a new one; returns their ids.
   */
  async reopen(ids: readonly string[]): Promise<string[]> {
    // NOTE: TypeORM answers a top-level UPDATE or DELETE with [rows, rowCount]; wrapped in a CTE it
    // is a SELECT, answered with the rows.
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `WITH reopened AS (
         UPDATE ${this.tables.events}
            SET "state" = 'received', "attempts" = 0, "last_error" = NULL, "job_pending" = 'replace', "updated_at" = now()
          WHERE "id" = ANY($1) AND "state" = ANY($2) RETURNING "id"
       )
       SELECT "id" FROM reopened`,
      [ids, REPLAYABLE_SMS_EVENT_STATES],
    );
    return rows.map((row) => row.id);
  }
}
