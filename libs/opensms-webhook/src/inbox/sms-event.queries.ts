import { Injectable } from '@nestjs/common';
import type { SmsEventEntity } from './sms-event.entity';
import { staleCondition } from './sms-event.lifecycle';
import { INDEXED_STATES_CONDITION, type SmsEventStateEntity } from './sms-event-state.entity';
import {
  COMPLETED_SMS_EVENT_STATES,
  type IndexedSmsEventState,
  type SmsEventState,
  UNFINISHED_SMS_EVENT_STATES,
  zeroCountsByState,
} from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** Filter of inbox look-ups. */
export interface SmsEventFilter {
  state?: SmsEventState | readonly SmsEventState[];
  /** A payload `event` name (`'sms.failed'`), or several. */
  event?: string | readonly string[];
  messageId?: string;
  phone?: string;
  /** The tenant that `tenants.secretResolver` named for the call. */
  tenant?: string;
  receivedBefore?: Date;
  receivedAfter?: Date;
  /** @default 100 */
  limit?: number;
}

/** An inbox event as operators see it: the call as received, and where it stands. */
export type SmsEventRecord = SmsEventEntity & Pick<SmsEventStateEntity, 'state' | 'attempts' | 'lastError' | 'processedAt' | 'updatedAt'>;

/** The columns of an event shown in lists (everything but the payload and headers). */
export type SmsEventSummary = Pick<
  SmsEventRecord,
  'id' | 'event' | 'messageId' | 'phone' | 'status' | 'state' | 'attempts' | 'lastError' | 'occurredAt' | 'receivedAt'
>;

/** Rows of one state, from {@link SmsEventQueries.countAndAgeByState}. */
export interface SmsEventStateFigures {
  state: IndexedSmsEventState;
  count: number;
  /** Seconds since the oldest row of the state was received; `null` when the state has no row. */
  oldestAgeSeconds: number | null;
}

/** The counts of {@link SmsEventQueries.countAndAgeByState} by state, e.g. for `backlogOf`. */
export function countsOf(figures: readonly SmsEventStateFigures[]): Partial<Record<IndexedSmsEventState, number>> {
  return Object.fromEntries(figures.map(({ state, count }) => [state, count]));
}

/** One page of a {@link SmsEventQueries.search}, newest first. */
export interface SmsEventPage {
  events: SmsEventSummary[];
  /** Cursor of the next (older) page; `null` on the last page. */
  next: string | null;
}

/** One page of a {@link SmsEventQueries.records} read, oldest first. */
export interface SmsEventRecordPage {
  events: SmsEventRecord[];
  /** Cursor of the next (newer) page; `null` on the last page. */
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

/**
 * One run of one handler for one event that completed: its work committed, with the event's state
 * (a run that throws is rolled back and leaves no record).
 */
export interface SmsEventHandlerRun {
  handler: string;
  completedAt: Date;
  /** `null` for runs recorded before attempts were. */
  attempt: number | null;
}

/** The select list of a {@link SmsEventSummary}, from the events `e` and their states `s`. */
const SUMMARY_COLUMNS = `e."id", e."event", e."message_id" AS "messageId", e."phone", e."status", s."state", s."attempts",
  s."last_error" AS "lastError", e."occurred_at" AS "occurredAt", e."received_at" AS "receivedAt"`;

/** The select list of a whole {@link SmsEventRecord}. */
const RECORD_COLUMNS = `${SUMMARY_COLUMNS}, e."dedupe_key" AS "dedupeKey", e."delivery_key" AS "deliveryKey", e."tenant",
  e."error", e."payload", e."headers", e."trace_context" AS "traceContext", s."processed_at" AS "processedAt",
  s."updated_at" AS "updatedAt"`;

/** A keyset cursor: the row's `received_at` in microseconds since the epoch (exact), then its id. */
const CURSOR = /^(\d{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A filter as SQL: the conditions on the events `e` and their states `s`, and their parameters. */
interface FilterSql {
  where: string;
  params: unknown[];
  /**
   * The alias whose (`received_at`, id) orders the rows: the states' when every filtered state is
   * on their index (all but `processed`), else the events'.
   */
  order: { at: string; id: string };
}

/** The queries of operators and housekeeping: look-ups, counts, unfinished events, retention. */
@Injectable()
export class SmsEventQueries {
  constructor(private readonly tables: SmsEventTables) {}

  async findById(id: string): Promise<SmsEventRecord | null> {
    const rows: SmsEventRecord[] = await this.tables.dataSource.query(`SELECT ${RECORD_COLUMNS} FROM ${this.joined()} WHERE e."id" = $1`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  /** Rows matching the filter, newest first. */
  find(filter: SmsEventFilter = {}): Promise<SmsEventRecord[]> {
    const { where, params, order } = this.filterSql(filter);
    return this.tables.dataSource.query(
      `SELECT ${RECORD_COLUMNS} FROM ${this.joined()} WHERE ${where}
        ORDER BY ${order.at} DESC, ${order.id} DESC LIMIT $${params.length + 1}`,
      [...params, filter.limit ?? 100],
    );
  }

  /** How many rows match the filter (its `limit` aside). */
  async count(filter: SmsEventFilter = {}): Promise<number> {
    const { where, params } = this.filterSql(filter);
    const [row]: { count: number }[] = await this.tables.dataSource.query(
      `SELECT count(*)::int AS "count" FROM ${this.joined()} WHERE ${where}`,
      params,
    );
    return row.count;
  }

  /**
   * One page of rows matching the filter, newest first (`'oldest'`: oldest first), without payloads:
   * `limit` rows (default 100) after the cursor `after` (a previous page's `next`; an unreadable
   * cursor starts at the first). Keyset-paged on (`received_at`, `id`), so a later page costs what
   * the first does.
   */
  async search(filter: SmsEventFilter = {}, after?: string, first: 'newest' | 'oldest' = 'newest'): Promise<SmsEventPage> {
    return this.page<SmsEventSummary>(SUMMARY_COLUMNS, first === 'newest' ? 'DESC' : 'ASC', filter, after);
  }

  /**
   * One page of whole rows (payload and headers included) matching the filter, oldest first, in the
   * order they were received: `limit` rows (default 100) after the cursor `after` (a previous page's
   * `next`). Keyset-paged on the same indexes as {@link search}, so reading every page of a large
   * inbox holds one page at a time.
   */
  async records(filter: SmsEventFilter = {}, after?: string): Promise<SmsEventRecordPage> {
    return this.page<SmsEventRecord>(RECORD_COLUMNS, 'ASC', filter, after);
  }

  /**
   * Every event of one message (at most `limit`, default 500) in the order they were received, each
   * with whether it was {@link SmsEventTimelineEntry.stale}.
   */
  messageTimeline(messageId: string, limit = 500): Promise<SmsEventTimelineEntry[]> {
    return this.tables.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS}, s."processed_at" AS "processedAt", ${staleCondition(this.tables, 'e', 's')} AS "stale"
         FROM ${this.joined()}
        WHERE e."message_id" = $1
        ORDER BY e."received_at", e."id"
        LIMIT $2`,
      [messageId, limit],
    );
  }

  /**
   * The rows matching the filter by their payload `event` name, and how many of them each of
   * `handlers` has completed: what a reprocessing of them would do.
   */
  async reprocessFigures(
    filter: SmsEventFilter,
    handlers: readonly string[],
  ): Promise<{ byEvent: Record<string, number>; completedBy: Record<string, number> }> {
    const { where, params } = this.filterSql(filter);
    const byEvent: { event: string; count: number }[] = await this.tables.dataSource.query(
      `SELECT e."event", count(*)::int AS "count" FROM ${this.joined()} WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    const completedBy: { handler: string; count: number }[] =
      handlers.length === 0
        ? []
        : await this.tables.dataSource.query(
            `SELECT h."handler", count(*) FILTER (WHERE s."completed_handlers" ? h."handler")::int AS "count"
               FROM ${this.joined()} CROSS JOIN unnest($${params.length + 1}::text[]) AS h("handler")
              WHERE ${where} GROUP BY 1`,
            [...params, handlers],
          );
    return {
      byEvent: Object.fromEntries(byEvent.map(({ event, count }) => [event, count])),
      completedBy: Object.fromEntries(handlers.map((handler) => [handler, completedBy.find((row) => row.handler === handler)?.count ?? 0])),
    };
  }

  /** The completed handler runs of an event, in the order they completed. */
  handlerRuns(eventId: string): Promise<SmsEventHandlerRun[]> {
    return this.tables.dataSource.query(
      `SELECT run.key AS "handler", (run.value->>'at')::timestamptz AS "completedAt", (run.value->>'attempt')::int AS "attempt"
         FROM ${this.tables.states} s, jsonb_each(s."completed_handlers") run
        WHERE s."event_id" = $1 ORDER BY 2, 1`,
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
         FROM unnest($1::text[]) AS u("state")
        CROSS JOIN LATERAL (
          SELECT "received_at" FROM ${this.tables.states}
           WHERE "state" = u."state" AND ${INDEXED_STATES_CONDITION} ORDER BY "received_at" LIMIT 1
        ) first`,
      [UNFINISHED_SMS_EVENT_STATES],
    );
    return row?.oldest ?? null;
  }

  /**
   * Row counts per state (every state present, zero when none), from one snapshot: each state but
   * `processed` counted from the state index, and `processed` as every event less those.
   */
  async countByState(): Promise<Record<SmsEventState, number>> {
    const rows: { state: SmsEventState; count: string }[] = await this.tables.dataSource.query(
      `WITH indexed AS (
         SELECT "state", count(*) AS "count" FROM ${this.tables.states} WHERE ${INDEXED_STATES_CONDITION} GROUP BY "state"
       )
       SELECT "state", "count" FROM indexed
       UNION ALL
       SELECT 'processed', (SELECT count(*) FROM ${this.tables.events}) - (SELECT coalesce(sum("count"), 0) FROM indexed)`,
    );
    const counts = zeroCountsByState();
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  /**
   * For each of `states`: how many rows are in it and how long ago (by the database's clock) its
   * oldest row was received (`null` when it has none). One statement, reading the state index only.
   */
  async countAndAgeByState(states: readonly IndexedSmsEventState[]): Promise<SmsEventStateFigures[]> {
    const rows: { state: IndexedSmsEventState; count: string; oldestAgeSeconds: number | null }[] = await this.tables.dataSource.query(
      `SELECT u."state",
              (SELECT count(*) FROM ${this.tables.states} s WHERE s."state" = u."state" AND ${INDEXED_STATES_CONDITION}) AS "count",
              extract(epoch FROM now() - (
                SELECT s."received_at" FROM ${this.tables.states} s
                 WHERE s."state" = u."state" AND ${INDEXED_STATES_CONDITION} ORDER BY s."received_at" LIMIT 1
              ))::float8 AS "oldestAgeSeconds"
         FROM unnest($1::text[]) AS u("state")`,
      [states],
    );
    return rows.map(({ state, count, oldestAgeSeconds }) => ({ state, count: Number(count), oldestAgeSeconds }));
  }

  /** Ids of unfinished, already queued events untouched for at least `ageMs`, oldest first. */
  async findStaleUnfinished(ageMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `SELECT s."event_id" AS "id" FROM ${this.tables.states} s
        WHERE s."state" = ANY($1) AND s."updated_at" < now() - make_interval(secs => $2)
          AND NOT EXISTS (SELECT 1 FROM ${this.tables.outbox} o WHERE o."event_id" = s."event_id")
        ORDER BY s."received_at" LIMIT $3`,
      [UNFINISHED_SMS_EVENT_STATES, ageMs / 1000, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes the completed events (processed, ignored) received more than `days` ago; returns how many. */
  async prune(days: number): Promise<number> {
    const [row]: { count: number }[] = await this.tables.dataSource.query(
      `WITH pruned AS (
         DELETE FROM ${this.tables.states} s USING ${this.tables.events} e
          WHERE e."id" = s."event_id" AND e."received_at" < now() - make_interval(days => $1) AND s."state" = ANY($2)
          RETURNING s."event_id"
       ), deleted AS (
         DELETE FROM ${this.tables.events} e USING pruned WHERE e."id" = pruned."event_id" RETURNING 1
       )
       SELECT count(*)::int AS "count" FROM deleted`,
      [days, COMPLETED_SMS_EVENT_STATES],
    );
    return row.count;
  }

  /** One keyset page of `columns` in `direction` of (`received_at`, `id`), with the cursor of the next. */
  private async page<T extends { id: string }>(
    columns: string,
    direction: 'ASC' | 'DESC',
    filter: SmsEventFilter,
    after: string | undefined,
  ): Promise<{ events: T[]; next: string | null }> {
    const limit = filter.limit ?? 100;
    const { where, params, order } = this.filterSql(filter);
    const cursor = after === undefined ? null : CURSOR.exec(after);
    const conditions = [where];
    if (cursor) {
      params.push(cursor[1], cursor[2]);
      conditions.push(
        `(${order.at}, ${order.id}) ${direction === 'DESC' ? '<' : '>'} (timestamptz 'epoch' + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::uuid)`,
      );
    }
    params.push(limit + 1);
    const rows: (T & { cursor: string })[] = await this.tables.dataSource.query(
      `SELECT ${columns}, CAST(extract(epoch FROM e."received_at") * 1000000 AS bigint)::text AS "cursor"
         FROM ${this.joined()} WHERE ${conditions.join(' AND ')}
        ORDER BY ${order.at} ${direction}, ${order.id} ${direction} LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const events = page.map(({ cursor: _cursor, ...event }) => event as unknown as T);
    return { events, next: rows.length > limit && last ? `${last.cursor}_${last.id}` : null };
  }

  /** The events `e` joined with their states `s`. */
  private joined(): string {
    return `${this.tables.events} e JOIN ${this.tables.states} s ON s."event_id" = e."id"`;
  }

  /** The filter's conditions, and the order of its pages. */
  private filterSql(filter: SmsEventFilter): FilterSql {
    const params: unknown[] = [];
    const conditions: string[] = ['true'];
    const add = (sql: (param: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(sql(`$${params.length}`));
    };
    const states = filter.state === undefined ? undefined : typeof filter.state === 'string' ? [filter.state] : [...filter.state];
    // NOTE: one state as an equality, so that its pages are read in order from the state index.
    if (states?.length === 1) add((param) => `s."state" = ${param}`, states[0]);
    else if (states) add((param) => `s."state" = ANY(${param}::text[])`, states);
    if (typeof filter.event === 'string') add((param) => `e."event" = ${param}`, filter.event);
    else if (filter.event) add((param) => `e."event" = ANY(${param}::text[])`, filter.event);
    if (filter.messageId !== undefined) add((param) => `e."message_id" = ${param}`, filter.messageId);
    if (filter.phone !== undefined) add((param) => `e."phone" = ${param}`, filter.phone);
    if (filter.tenant !== undefined) add((param) => `e."tenant" = ${param}`, filter.tenant);
    const alias = states && !states.includes('processed') && !filter.messageId && !filter.phone ? 's' : 'e';
    const at = `${alias}."received_at"`;
    if (filter.receivedBefore) add((param) => `${at} < ${param}`, filter.receivedBefore);
    if (filter.receivedAfter) add((param) => `${at} > ${param}`, filter.receivedAfter);
    return { where: conditions.join(' AND '), params, order: { at, id: alias === 's' ? 's."event_id"' : 'e."id"' } };
  }
}
