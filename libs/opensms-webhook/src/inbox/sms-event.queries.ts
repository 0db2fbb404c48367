import { Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
import { SmsEventEntity } from './sms-event.entity';
import {
  PRUNABLE_SMS_EVENT_STATES,
  SMS_EVENT_STATES,
  type SmsEventState,
  UNFINISHED_SMS_EVENT_STATES,
  zeroCountsByState,
} from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** Filter of inbox look-ups. */
export interface SmsEventFilter {
  state?: SmsEventState | readonly SmsEventState[];
  event?: string;
  messageId?: string;
  phone?: string;
  receivedBefore?: Date;
  receivedAfter?: Date;
  /** @default 100 */
  limit?: number;
}

/** The columns of an event shown in lists (everything but the payload and headers). */
export type SmsEventSummary = Pick<
  SmsEventEntity,
  'id' | 'event' | 'messageId' | 'phone' | 'status' | 'state' | 'attempts' | 'lastError' | 'occurredAt' | 'receivedAt'
>;

/** Rows of one state, from {@link SmsEventQueries.countAndAgeByState}. */
export interface SmsEventStateFigures {
  state: SmsEventState;
  count: number;
  /** Seconds since the oldest row of the state was received; `null` when the state has no row. */
  oldestAgeSeconds: number | null;
}

/** One page of a {@link SmsEventQueries.search}, newest first. */
export interface SmsEventPage {
  events: SmsEventSummary[];
  /** Cursor of the next (older) page; `null` on the last page. */
  next: string | null;
}

/** An event of a message's timeline. */
export interface SmsEventTimelineEntry extends SmsEventSummary {
  processedAt: Date | null;
  /**
   * A later event (by `timestamp`) of the same message was processed before this one was: its
   * handlers saw, or will see, `ctx.stale`.
   */
  stale: boolean;
}

/** One handler's committed work for an event. */
export interface SmsEventHandlerRun {
  handler: string;
  completedAt: Date;
  /** `null` for runs recorded before attempts were. */
  attempt: number | null;
}

const SUMMARY_COLUMNS = [
  'id',
  'event',
  'messageId',
  'phone',
  'status',
  'state',
  'attempts',
  'lastError',
  'occurredAt',
  'receivedAt',
] as const satisfies readonly (keyof SmsEventSummary)[];

/** A keyset cursor: the row's `received_at` in microseconds since the epoch (exact), then its id. */
const CURSOR = /^(\d{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The queries of operators and housekeeping: look-ups, counts, unfinished events, retention. */
@Injectable()
export class SmsEventQueries {
  constructor(private readonly tables: SmsEventTables) {}

  findById(id: string): Promise<SmsEventEntity | null> {
    return this.tables.dataSource.getRepository(SmsEventEntity).findOneBy({ id });
  }

  /** Rows matching the filter, newest first. */
  find(filter: SmsEventFilter = {}): Promise<SmsEventEntity[]> {
    return this.matching(filter)
      .limit(filter.limit ?? 100)
      .getMany();
  }

  /** How many rows match the filter (its `limit` aside). */
  count(filter: SmsEventFilter = {}): Promise<number> {
    return this.matching(filter).getCount();
  }

  /**
   * One page of rows matching the filter, newest first, without payloads: `limit` rows (default 100)
   * after the cursor `after` (a previous page's `next`; an unreadable cursor starts at the newest).
   * Keyset-paged on (`received_at`, `id`), so a later page costs what the first does.
   */
  async search(filter: SmsEventFilter = {}, after?: string): Promise<SmsEventPage> {
    const limit = filter.limit ?? 100;
    const query = this.matching(filter)
      .select(SUMMARY_COLUMNS.map((column) => `e.${column}`))
      .addSelect(`CAST(extract(epoch FROM e."received_at") * 1000000 AS bigint)`, 'cursor')
      .limit(limit + 1);
    const cursor = after === undefined ? null : CURSOR.exec(after);
    if (cursor) {
      query.andWhere(
        `(e."received_at", e."id") < (timestamptz 'epoch' + CAST(:afterMicros AS bigint) * interval '1 microsecond', :afterId)`,
        { afterMicros: cursor[1], afterId: cursor[2] },
      );
    }
    const { entities, raw } = await query.getRawAndEntities<{ cursor: string }>();
    const events = entities.slice(0, limit);
    const last = events.at(-1);
    return { events, next: entities.length > limit && last ? `${raw[limit - 1].cursor}_${last.id}` : null };
  }

  /**
   * Every event of one message (at most `limit`, default 500) in the order they were received, each
   * with whether it was {@link SmsEventTimelineEntry.stale}.
   */
  messageTimeline(messageId: string, limit = 500): Promise<SmsEventTimelineEntry[]> {
    return this.tables.dataSource.query(
      `SELECT e."id", e."event", e."message_id" AS "messageId", e."phone", e."status", e."state", e."attempts",
              e."last_error" AS "lastError", e."occurred_at" AS "occurredAt", e."received_at" AS "receivedAt",
              e."processed_at" AS "processedAt",
              (e."occurred_at" IS NOT NULL AND EXISTS (
                 SELECT 1 FROM ${this.tables.events} later
                  WHERE later."message_id" = e."message_id" AND later."id" <> e."id"
                    AND later."state" = 'processed' AND later."occurred_at" > e."occurred_at"
                    AND (e."processed_at" IS NULL OR later."processed_at" < e."processed_at")
              )) AS "stale"
         FROM ${this.tables.events} e
        WHERE e."message_id" = $1
        ORDER BY e."received_at", e."id"
        LIMIT $2`,
      [messageId, limit],
    );
  }

  /** The handlers that committed their work for an event, in the order they did. */
  handlerRuns(eventId: string): Promise<SmsEventHandlerRun[]> {
    return this.tables.dataSource.query(
      `SELECT "handler", "completed_at" AS "completedAt", "attempt" FROM ${this.tables.handlerRuns}
        WHERE "event_id" = $1 ORDER BY "completed_at", "handler"`,
      [eventId],
    );
  }

  /** One round trip to the inbox database (`SELECT 1`). */
  async ping(): Promise<void> {
    await this.tables.dataSource.query('SELECT 1');
  }

  /** When the oldest event that still has work ahead of it was received; `null` when there is none. */
  async oldestUnfinishedReceivedAt(): Promise<Date | null> {
    const [row]: { oldest: Date | null }[] = await this.tables.dataSource.query(
      `SELECT min(first."received_at") AS "oldest"
         FROM unnest($1::text[]) AS s("state")
        CROSS JOIN LATERAL (
          SELECT "received_at" FROM ${this.tables.events} WHERE "state" = s."state" ORDER BY "received_at" LIMIT 1
        ) first`,
      [UNFINISHED_SMS_EVENT_STATES],
    );
    return row?.oldest ?? null;
  }

  /** Rows in any of `states`, counted no further than `limit`: a bounded scan of the state index, however long the table. */
  async countInStates(states: readonly SmsEventState[], limit: number): Promise<number> {
    const [row]: { count: string }[] = await this.tables.dataSource.query(
      `SELECT count(*) AS "count" FROM (SELECT 1 FROM ${this.tables.events} WHERE "state" = ANY($1::text[]) LIMIT $2) capped`,
      [states, limit],
    );
    return Number(row?.count ?? 0);
  }

  /** Row counts per state (every state present, zero when none). */
  async countByState(): Promise<Record<SmsEventState, number>> {
    // NOTE: one index-only count per state reads the state index instead of every row of the table.
    const rows: { state: SmsEventState; count: string }[] = await this.tables.dataSource.query(
      `SELECT s."state", (SELECT count(*) FROM ${this.tables.events} e WHERE e."state" = s."state") AS "count"
         FROM unnest($1::text[]) AS s("state")`,
      [SMS_EVENT_STATES],
    );
    const counts = zeroCountsByState();
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  /**
   * For each of `states`: how many rows are in it and how long ago (by the database's clock) its
   * oldest row was received (`null` when it has none). One statement, one index-only count per
   * state; meant for small states (unfinished, dead), not for `processed`.
   */
  async countAndAgeByState(states: readonly SmsEventState[]): Promise<SmsEventStateFigures[]> {
    const rows: { state: SmsEventState; count: string; oldestAgeSeconds: number | null }[] = await this.tables.dataSource.query(
      `SELECT s."state",
              (SELECT count(*) FROM ${this.tables.events} e WHERE e."state" = s."state") AS "count",
              extract(epoch FROM now() - (
                SELECT e."received_at" FROM ${this.tables.events} e WHERE e."state" = s."state" ORDER BY e."received_at" LIMIT 1
              ))::float8 AS "oldestAgeSeconds"
         FROM unnest($1::text[]) AS s("state")`,
      [states],
    );
    return rows.map(({ state, count, oldestAgeSeconds }) => ({ state, count: Number(count), oldestAgeSeconds }));
  }

  /** Ids of unfinished, already queued events untouched for at least `ageMs`, oldest first. */
  async findStaleUnfinished(ageMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `SELECT "id" FROM ${this.tables.events}
        WHERE "state" = ANY($1) AND "job_pending" IS NULL AND "updated_at" < now() - make_interval(secs => $2)
        ORDER BY "updated_at" LIMIT $3`,
      [UNFINISHED_SMS_EVENT_STATES, ageMs / 1000, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes processed and ignored rows older than `days`; returns how many. */
  async prune(days: number): Promise<number> {
    const [row]: { count: number }[] = await this.tables.dataSource.query(
      `WITH pruned AS (
         DELETE FROM ${this.tables.events}
          WHERE "state" = ANY($2) AND "received_at" < now() - make_interval(days => $1)
          RETURNING 1
       )
       SELECT count(*)::int AS "count" FROM pruned`,
      [days, PRUNABLE_SMS_EVENT_STATES],
    );
    return row.count;
  }

  /** The filter's conditions, newest first. */
  private matching(filter: SmsEventFilter): SelectQueryBuilder<SmsEventEntity> {
    const query = this.tables.dataSource
      .getRepository(SmsEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.receivedAt', 'DESC')
      .addOrderBy('e.id', 'DESC');
    if (filter.state !== undefined) {
      const states = typeof filter.state === 'string' ? [filter.state] : [...filter.state];
      query.andWhere('e.state IN (:...states)', { states });
    }
    if (filter.event !== undefined) query.andWhere('e.event = :event', { event: filter.event });
    if (filter.messageId !== undefined) query.andWhere('e.messageId = :messageId', { messageId: filter.messageId });
    if (filter.phone !== undefined) query.andWhere('e.phone = :phone', { phone: filter.phone });
    if (filter.receivedBefore) query.andWhere('e.receivedAt < :before', { before: filter.receivedBefore });
    if (filter.receivedAfter) query.andWhere('e.receivedAt > :after', { after: filter.receivedAfter });
    return query;
  }
}
