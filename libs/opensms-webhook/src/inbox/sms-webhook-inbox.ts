import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import type { SmsEventSource } from '../events/sms-events';
import { HandlerRunEntity } from './handler-run.entity';
import { qualifiedTableName } from './qualified-table-name';
import { SmsWebhookEventEntity } from './sms-webhook-event.entity';
import { type SmsWebhookEventState, UNFINISHED_STATES } from './sms-webhook-event-state';

/** A call to store: a verified body, valid (`received`) or not (`invalid`). */
export interface InboxRecord extends SmsEventSource {
  dedupeKey: string | null;
  headers: Record<string, string>;
  state: Extract<SmsWebhookEventState, 'received' | 'invalid'>;
  lastError: string | null;
}

/** Where a stored record landed: its row id, and whether an equal event was already there. */
export interface StoredRecord {
  id: string;
  duplicate: boolean;
}

/** An inbox row read by the worker under its message lock (see `SmsWebhookInbox.loadForDispatch`). */
export interface DispatchRow
  extends Pick<
    SmsWebhookEventEntity,
    'id' | 'event' | 'messageId' | 'phone' | 'status' | 'error' | 'occurredAt' | 'receivedAt' | 'payload' | 'state'
  > {
  /** A later event of the same message was already processed. */
  stale: boolean;
  /** Handlers whose transaction already committed for this event. */
  completedHandlers: string[];
}

/** Filter of inbox look-ups. */
export interface InboxFilter {
  state?: SmsWebhookEventState | readonly SmsWebhookEventState[];
  event?: string;
  messageId?: string;
  receivedBefore?: Date;
  receivedAfter?: Date;
  /** @default 100 */
  limit?: number;
}

/** Inbox columns written on insert, with the SQL type of each parameter. */
const INSERT_COLUMNS = {
  dedupe_key: 'text',
  event: 'text',
  message_id: 'text',
  phone: 'text',
  status: 'text',
  error: 'text',
  occurred_at: 'timestamptz',
  payload: 'jsonb',
  headers: 'jsonb',
  state: 'text',
  last_error: 'text',
} as const;
const COLUMN_NAMES = Object.keys(INSERT_COLUMNS);
const COLUMN_LIST = COLUMN_NAMES.map((column) => `"${column}"`).join(', ');
const PARAMS_PER_ROW = COLUMN_NAMES.length;

function insertParams(record: InboxRecord): unknown[] {
  return [
    record.dedupeKey,
    record.event,
    record.messageId,
    record.phone,
    record.status,
    record.error,
    record.occurredAt,
    JSON.stringify(record.payload),
    JSON.stringify(record.headers),
    record.state,
    record.lastError,
  ];
}

function valuesRow(rowIndex: number, extra = ''): string {
  const base = rowIndex * (PARAMS_PER_ROW + (extra ? 1 : 0));
  const casts = Object.values(INSERT_COLUMNS).map((type, c) => `$${base + c + 1}::${type}`);
  if (extra) casts.push(`$${base + PARAMS_PER_ROW + 1}::${extra}`);
  return `(${casts.join(', ')})`;
}

/** The inbox tables, in SQL that is explicit about locking and round trips. */
@Injectable()
export class SmsWebhookInbox {
  readonly events: string;
  readonly handlerRuns: string;

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.events = qualifiedTableName(dataSource, dataSource.getMetadata(SmsWebhookEventEntity).tableName);
    this.handlerRuns = qualifiedTableName(dataSource, dataSource.getMetadata(HandlerRunEntity).tableName);
  }

  /** Stores a signed call that failed validation (state `invalid`, no dedupe key); returns its id. */
  async storeInvalid(record: InboxRecord): Promise<string> {
    const [row]: { id: string }[] = await this.dataSource.query(
      `INSERT INTO ${this.events} (${COLUMN_LIST}) VALUES ${valuesRow(0)} RETURNING "id"`,
      insertParams(record),
    );
    return row.id;
  }

  /**
   * Inserts valid records (each with a dedupe key) in one statement and one round trip; a record whose dedupe key is already
   * stored (or repeated within the batch) gets the existing row's id with `duplicate: true`.
   * Concurrent inserts of one key wait for each other in PostgreSQL, so exactly one wins.
   */
  async store(records: readonly InboxRecord[]): Promise<StoredRecord[]> {
    const params = records.flatMap((record, ord) => [...insertParams(record), ord]);
    const rows = records.map((_, ord) => valuesRow(ord, 'int'));
    // NOTE: keys repeated inside one batch would make ON CONFLICT touch a row twice; DISTINCT ON
    // inserts the first of each key and the join maps the others onto it.
    const result: { ord: number; id: string | null; inserted: boolean }[] = await this.dataSource.query(
      `WITH input (${COLUMN_LIST}, "ord") AS (VALUES ${rows.join(', ')}),
            inserted AS (
              INSERT INTO ${this.events} (${COLUMN_LIST})
              SELECT DISTINCT ON ("dedupe_key") ${COLUMN_LIST} FROM input ORDER BY "dedupe_key", "ord"
              ON CONFLICT ("dedupe_key") DO NOTHING
              RETURNING "id", "dedupe_key"
            )
       SELECT input."ord", coalesce(inserted."id", existing."id") AS "id", (inserted."id" IS NOT NULL) AS "inserted"
         FROM input
         LEFT JOIN inserted ON inserted."dedupe_key" = input."dedupe_key"
         LEFT JOIN ${this.events} existing ON existing."dedupe_key" = input."dedupe_key" AND inserted."id" IS NULL
        ORDER BY input."ord"`,
      params,
    );
    return this.resolveDuplicates(records, result);
  }

  /**
   * Rows whose insert met an existing key in the same instant may not have been visible to the
   * statement's snapshot; they are looked up once more after the conflicting insert committed.
   */
  private async resolveDuplicates(
    records: readonly InboxRecord[],
    result: { ord: number; id: string | null; inserted: boolean }[],
  ): Promise<StoredRecord[]> {
    const firstOfKey = new Map<string, number>();
    const stored = result.map((row) => {
      const record = records[row.ord];
      const key = record.dedupeKey as string;
      const firstInBatch = !firstOfKey.has(key);
      if (firstInBatch) firstOfKey.set(key, row.ord);
      return { id: row.id, duplicate: !(row.inserted && firstInBatch) };
    });
    const missing = stored
      .map((row, ord) => ({ row, key: records[ord].dedupeKey }))
      .filter(({ row }) => row.id === null);
    if (missing.length > 0) {
      const keys = [...new Set(missing.map(({ key }) => key as string))];
      const found: { id: string; dedupe_key: string }[] = await this.dataSource.query(
        `SELECT "id", "dedupe_key" FROM ${this.events} WHERE "dedupe_key" = ANY($1)`,
        [keys],
      );
      const idByKey = new Map(found.map((row) => [row.dedupe_key, row.id]));
      for (const { row, key } of missing) row.id = idByKey.get(key as string) ?? null;
    }
    return stored.map((row) => {
      if (row.id === null) throw new Error('inbox row vanished between insert and look-up');
      return { id: row.id, duplicate: row.duplicate };
    });
  }

  /**
   * Claims an event for an attempt, in one round trip: marks it `processing` and returns it as its
   * worker needs it, with whether a later event of the same message was already processed
   * (`stale`) and the handlers that already committed. `null` when the event is finished or gone.
   */
  async claim(id: string, attempt: number, runner: QueryRunner): Promise<DispatchRow | null> {
    const [row]: DispatchRow[] = await runner.query(
      `WITH claimed AS (
         UPDATE ${this.events} SET "state" = 'processing', "attempts" = $2, "updated_at" = now()
          WHERE "id" = $1 AND "state" = ANY($3)
          RETURNING "id", "event", "message_id", "phone", "status", "error", "occurred_at", "received_at", "payload", "state"
       )
       SELECT c."id", c."event", c."message_id" AS "messageId", c."phone", c."status", c."error",
              c."occurred_at" AS "occurredAt", c."received_at" AS "receivedAt", c."payload", c."state",
              (c."message_id" IS NOT NULL AND c."occurred_at" IS NOT NULL AND EXISTS (
                 SELECT 1 FROM ${this.events} later
                  WHERE later."message_id" = c."message_id" AND later."id" <> c."id"
                    AND later."state" = 'processed' AND later."occurred_at" > c."occurred_at"
              )) AS "stale",
              ARRAY(SELECT r."handler" FROM ${this.handlerRuns} r WHERE r."event_id" = c."id") AS "completedHandlers"
         FROM claimed c`,
      [id, attempt, UNFINISHED_STATES],
    );
    return row ?? null;
  }

  findById(id: string): Promise<SmsWebhookEventEntity | null> {
    return this.dataSource.getRepository(SmsWebhookEventEntity).findOneBy({ id });
  }

  /** Rows matching the filter, newest first. */
  find(filter: InboxFilter = {}): Promise<SmsWebhookEventEntity[]> {
    const query = this.dataSource
      .getRepository(SmsWebhookEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.receivedAt', 'DESC')
      .limit(filter.limit ?? 100);
    if (filter.state !== undefined) {
      const states = typeof filter.state === 'string' ? [filter.state] : [...filter.state];
      query.andWhere('e.state IN (:...states)', { states });
    }
    if (filter.event !== undefined) query.andWhere('e.event = :event', { event: filter.event });
    if (filter.messageId !== undefined) query.andWhere('e.messageId = :messageId', { messageId: filter.messageId });
    if (filter.receivedBefore) query.andWhere('e.receivedAt < :before', { before: filter.receivedBefore });
    if (filter.receivedAfter) query.andWhere('e.receivedAt > :after', { after: filter.receivedAfter });
    return query.getMany();
  }

  /** Row counts per state (every state present, zero when none). */
  async countByState(): Promise<Record<SmsWebhookEventState, number>> {
    const rows: { state: SmsWebhookEventState; count: string }[] = await this.dataSource.query(
      `SELECT "state", count(*) AS "count" FROM ${this.events} GROUP BY "state"`,
    );
    const counts = { received: 0, processing: 0, processed: 0, failed: 0, dead: 0, invalid: 0, ignored: 0 };
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  /** Ids of unfinished events untouched for at least `ageMs`, oldest first. */
  async findStaleUnfinished(ageMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT "id" FROM ${this.events}
        WHERE "state" = ANY($1) AND "updated_at" < now() - make_interval(secs => $2)
        ORDER BY "updated_at" LIMIT $3`,
      [UNFINISHED_STATES, ageMs / 1000, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Puts `dead` (or `failed`) events back to `received` with a fresh attempt count; returns their ids. */
  async reopen(ids: readonly string[]): Promise<string[]> {
    // NOTE: TypeORM answers a top-level UPDATE or DELETE with [rows, rowCount]; wrapped in a CTE it
    // is a SELECT, answered with the rows.
    const rows: { id: string }[] = await this.dataSource.query(
      `WITH reopened AS (
         UPDATE ${this.events} SET "state" = 'received', "attempts" = 0, "last_error" = NULL, "updated_at" = now()
          WHERE "id" = ANY($1) AND "state" IN ('dead', 'failed') RETURNING "id"
       )
       SELECT "id" FROM reopened`,
      [ids],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes processed and ignored rows older than `days`; returns how many. */
  async prune(days: number): Promise<number> {
    const [row]: { count: number }[] = await this.dataSource.query(
      `WITH pruned AS (
         DELETE FROM ${this.events}
          WHERE "state" IN ('processed', 'ignored') AND "received_at" < now() - make_interval(days => $1)
          RETURNING 1
       )
       SELECT count(*)::int AS "count" FROM pruned`,
      [days],
    );
    return row.count;
  }

  /**
   * Records, in the runner's transaction, that a handler committed its work for an event; with
   * `processedAttempt`, the same statement marks the event `processed` after that attempt.
   */
  async recordHandlerRun(eventId: string, handler: string, processedAttempt: number | undefined, runner: QueryRunner): Promise<void> {
    await runner.query(
      `WITH run AS (INSERT INTO ${this.handlerRuns} ("event_id", "handler") VALUES ($1, $2))
       UPDATE ${this.events}
          SET "state" = 'processed', "attempts" = $3, "last_error" = NULL, "processed_at" = now(), "updated_at" = now()
        WHERE "id" = $1 AND $3::int IS NOT NULL`,
      [eventId, handler, processedAttempt ?? null],
    );
  }

  /** Sets an event's state (and optional fields) on the given runner, or on the pool. */
  async setState(
    id: string,
    state: SmsWebhookEventState,
    fields: { lastError?: string | null; attempts?: number } = {},
    runner?: QueryRunner,
  ): Promise<void> {
    await (runner ?? this.dataSource).query(
      `UPDATE ${this.events}
          SET "state" = $2, "updated_at" = now(),
              "last_error" = CASE WHEN $3::boolean THEN $4 ELSE "last_error" END,
              "attempts" = coalesce($5, "attempts"),
              "processed_at" = CASE WHEN $2 IN ('processed', 'ignored') THEN now() ELSE "processed_at" END
        WHERE "id" = $1`,
      [id, state, fields.lastError !== undefined, fields.lastError ?? null, fields.attempts ?? null],
    );
  }
}
