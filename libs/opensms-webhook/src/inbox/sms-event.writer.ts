import { Injectable } from '@nestjs/common';
import type { SmsEventSource } from '../events/sms-events';
import { isDatabaseUnavailable } from './postgres-error';
import { SmsEventTables } from './sms-event.tables';

/**
 * A call to store: a verified body, valid (stored as `received`, see {@link SmsEventWriter.store})
 * or not (stored as `invalid`, see {@link SmsEventWriter.storeInvalid}).
 */
export interface InboxRecord extends SmsEventSource {
  dedupeKey: string | null;
  /** Key of the delivery, for `invalid` records only (see {@link SmsEventEntity.deliveryKey}). */
  deliveryKey: string | null;
  /** The tenant whose secret verified the call, if the resolver named one. */
  tenant: string | null;
  headers: Record<string, string>;
  /** The validation problems of an invalid call; `null` for valid ones. */
  lastError: string | null;
  /** The W3C trace context of the call, continued by its processing; `null` when not traced. */
  traceContext: Record<string, string> | null;
}

/** Where a stored record landed: its row id, and whether an equal event was already there. */
export interface StoredRecord {
  id: string;
  duplicate: boolean;
}

/** A record of a batch that could not be written; the others of its batch were. */
export interface FailedRecord {
  error: unknown;
}

/** Inbox columns written on insert, with the SQL type of each parameter. */
const INSERT_COLUMNS = {
  dedupe_key: 'text',
  delivery_key: 'text',
  tenant: 'text',
  event: 'text',
  message_id: 'text',
  phone: 'text',
  status: 'text',
  error: 'text',
  occurred_at: 'timestamptz',
  payload: 'jsonb',
  headers: 'jsonb',
  trace_context: 'jsonb',
} as const;
const COLUMN_NAMES = Object.keys(INSERT_COLUMNS);
const COLUMN_LIST = COLUMN_NAMES.map((column) => `"${column}"`).join(', ');
const PARAMS_PER_ROW = COLUMN_NAMES.length;

function insertParams(record: InboxRecord): unknown[] {
  return [
    record.dedupeKey,
    record.deliveryKey,
    record.tenant,
    record.event,
    record.messageId,
    record.phone,
    record.status,
    record.error,
    record.occurredAt,
    JSON.stringify(record.payload),
    JSON.stringify(record.headers),
    record.traceContext === null ? null : JSON.stringify(record.traceContext),
  ];
}

function valuesRow(rowIndex: number, extra = ''): string {
  const base = rowIndex * (PARAMS_PER_ROW + (extra ? 1 : 0));
  const casts = Object.values(INSERT_COLUMNS).map((type, c) => `$${base + c + 1}::${type}`);
  if (extra) casts.push(`$${base + PARAMS_PER_ROW + 1}::${extra}`);
  return `(${casts.join(', ')})`;
}

/** The writes of ingest: verified calls into the inbox, in SQL explicit about round trips. */
@Injectable()
export class SmsEventWriter {
  constructor(private readonly tables: SmsEventTables) {}

  /**
   * Stores a signed call that failed validation (state `invalid`, no dedupe key) once per delivery:
   * a call with a `deliveryKey` already stored gets that row's id.
   */
  async storeInvalid(record: InboxRecord): Promise<string> {
    const [row]: { id: string }[] = await this.tables.dataSource.query(
      `WITH inserted AS (
         INSERT INTO ${this.tables.events} (${COLUMN_LIST}) VALUES ${valuesRow(0)}
         ON CONFLICT ("delivery_key") DO NOTHING RETURNING "id", "received_at"
       ), "state" AS (
         INSERT INTO ${this.tables.states} ("event_id", "state", "received_at", "last_error")
         SELECT "id", 'invalid', "received_at", $${PARAMS_PER_ROW + 1}::text FROM inserted
       )
       SELECT "id" FROM inserted`,
      [...insertParams(record), record.lastError],
    );
    if (row) return row.id;
    // NOTE: the conflicting row committed before ON CONFLICT gave up, so a new statement sees it.
    const [existing]: { id: string }[] = await this.tables.dataSource.query(
      `SELECT "id" FROM ${this.tables.events} WHERE "delivery_key" = $1`,
      [record.deliveryKey],
    );
    if (!existing) throw new Error('inbox row vanished between insert and look-up');
    return existing.id;
  }

  /**
   * Inserts valid records (each with a dedupe key) in one statement and one round trip; a record whose dedupe key is already
   * stored (or repeated within the batch) gets the existing row's id with `duplicate: true`.
   * Concurrent inserts of one key wait for each other in PostgreSQL, so exactly one wins.
   *
   * When the database refuses the batch for a reason other than being unavailable (one row it
   * cannot store), the records are written one by one, so that only the refused record fails
   * (as a {@link FailedRecord}). Throws only when the database is unavailable.
   */
  async store(records: readonly InboxRecord[]): Promise<(StoredRecord | FailedRecord)[]> {
    try {
      return await this.insertBatch(records);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      if (records.length === 1) return [{ error }];
    }
    const outcomes: (StoredRecord | FailedRecord)[] = [];
    for (const record of records) {
      try {
        outcomes.push(...(await this.insertBatch([record])));
      } catch (error) {
        outcomes.push({ error });
      }
    }
    return outcomes;
  }

  private async insertBatch(records: readonly InboxRecord[]): Promise<StoredRecord[]> {
    const params = records.flatMap((record, ord) => [...insertParams(record), ord]);
    const rows = records.map((_, ord) => valuesRow(ord, 'int'));
    // NOTE: keys repeated inside one batch would make ON CONFLICT touch a row twice; DISTINCT ON
    // inserts the first of each key and the join maps the others onto it.
    const result: { ord: number; id: string | null; inserted: boolean }[] = await this.tables.dataSource.query(
      `WITH input (${COLUMN_LIST}, "ord") AS (VALUES ${rows.join(', ')}),
            inserted AS (
              INSERT INTO ${this.tables.events} (${COLUMN_LIST})
              SELECT DISTINCT ON ("dedupe_key") ${COLUMN_LIST} FROM input ORDER BY "dedupe_key", "ord"
              ON CONFLICT ("dedupe_key") DO NOTHING
              RETURNING "id", "dedupe_key", "received_at"
            ),
            "states" AS (
              INSERT INTO ${this.tables.states} ("event_id", "state", "received_at")
              SELECT "id", 'received', "received_at" FROM inserted
            ),
            "outbox" AS (INSERT INTO ${this.tables.outbox} ("event_id") SELECT "id" FROM inserted)
       SELECT input."ord", coalesce(inserted."id", existing."id") AS "id", (inserted."id" IS NOT NULL) AS "inserted"
         FROM input
         LEFT JOIN inserted ON inserted."dedupe_key" = input."dedupe_key"
         LEFT JOIN ${this.tables.events} existing ON existing."dedupe_key" = input."dedupe_key" AND inserted."id" IS NULL
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
    const missing = stored.map((row, ord) => ({ row, key: records[ord].dedupeKey })).filter(({ row }) => row.id === null);
    if (missing.length > 0) {
      const keys = [...new Set(missing.map(({ key }) => key as string))];
      const found: { id: string; dedupe_key: string }[] = await this.tables.dataSource.query(
        `SELECT "id", "dedupe_key" FROM ${this.tables.events} WHERE "dedupe_key" = ANY($1)`,
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
}
