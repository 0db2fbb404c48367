import { DataSource } from 'typeorm';
import { effectsTable } from '../fixtures/effect-recorder.consumer';
import { TEST_DATABASE_URL } from './test-database';

/** Handler names of the EffectRecorder fixture. */
export const RECORDER_HANDLERS = ['first', 'second'] as const;

/** How the recorded effects of some events compare with "each handler exactly once". */
export interface EffectTally {
  /** Events expected and seen with one effect per handler. */
  exactlyOnce: number;
  /** `event:handler` pairs with no effect. */
  missing: string[];
  /** `event:handler` pairs with more than one effect. */
  duplicated: string[];
  /** Events with effects that were not expected. */
  unexpected: string[];
}

/**
 * The definition of a schema's inbox tables as PostgreSQL reports it (columns, constraints, indexes),
 * the schema's name left out, so that the inboxes of two schemas compare equal when they are built alike.
 */
export interface InboxDefinition {
  columns: { table: string; column: string; type: string; nullable: string; default: string | null; identity: string | null }[];
  constraints: { table: string; name: string; definition: string }[];
  indexes: { table: string; name: string; definition: string }[];
}

/** Reads a test schema's inbox and the EffectRecorder's effects, from a connection of its own. */
export class SchemaInspector {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  static async open(schema: string): Promise<SchemaInspector> {
    const dataSource = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, extra: { max: 2 } });
    await dataSource.initialize();
    return new SchemaInspector(dataSource, schema);
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
  }

  private get events(): string {
    return `"${this.schema}"."opensms_webhook_events"`;
  }

  private get stateTable(): string {
    return `"${this.schema}"."opensms_webhook_event_states"`;
  }

  private get effects(): string {
    return effectsTable(this.schema);
  }

  /** How many of `ids` (all inbox rows when omitted) are in `state`. */
  async countInState(state: string, ids?: readonly string[]): Promise<number> {
    const [{ count }]: { count: number }[] = ids
      ? await this.dataSource.query(
          `SELECT count(*)::int AS "count" FROM ${this.stateTable} WHERE "state" = $1 AND "event_id" = ANY($2::uuid[])`,
          [state, ids],
        )
      : await this.dataSource.query(`SELECT count(*)::int AS "count" FROM ${this.stateTable} WHERE "state" = $1`, [state]);
    return count;
  }

  /** The definition of the schema's inbox tables (`opensms_webhook_*`), in a stable order. */
  async inboxDefinition(): Promise<InboxDefinition> {
    const inboxTable = `LIKE 'opensms\\_webhook\\_%'`;
    const [columns, constraints, indexes]: [InboxDefinition['columns'], InboxDefinition['constraints'], InboxDefinition['indexes']] =
      await Promise.all([
        this.dataSource.query(
          `SELECT "table_name" AS "table", "column_name" AS "column", "data_type" AS "type", "is_nullable" AS "nullable",
                  "column_default" AS "default", "identity_generation" AS "identity"
             FROM information_schema.columns WHERE "table_schema" = $1 AND "table_name" ${inboxTable} ORDER BY 1, 2`,
          [this.schema],
        ),
        this.dataSource.query(
          `SELECT t."relname" AS "table", c."conname" AS "name", pg_get_constraintdef(c."oid") AS "definition"
             FROM pg_constraint c JOIN pg_class t ON t."oid" = c."conrelid" JOIN pg_namespace n ON n."oid" = t."relnamespace"
            WHERE n."nspname" = $1 AND t."relname" ${inboxTable} ORDER BY 1, 2`,
          [this.schema],
        ),
        this.dataSource.query(
          `SELECT "tablename" AS "table", "indexname" AS "name", replace("indexdef", $2, '') AS "definition"
             FROM pg_indexes WHERE "schemaname" = $1 AND "tablename" ${inboxTable} ORDER BY 1, 2`,
          [this.schema, `${this.schema}.`],
        ),
      ]);
    return { columns, constraints, indexes };
  }

  /** Inbox rows by state. */
  async states(): Promise<Record<string, number>> {
    const rows: { state: string; count: number }[] = await this.dataSource.query(
      `SELECT "state", count(*)::int AS "count" FROM ${this.stateTable} GROUP BY "state"`,
    );
    return Object.fromEntries(rows.map(({ state, count }) => [state, count]));
  }

  /** Entries of the relay's outbox (events still to be queued). */
  async countOutboxEntries(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS "count" FROM "${this.schema}"."opensms_webhook_outbox"`,
    );
    return count;
  }

  /** Recorded handler runs (rows of the effects table). */
  async countEffects(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(`SELECT count(*)::int AS "count" FROM ${this.effects}`);
    return count;
  }

  /** When the last recorded handler run ended, or undefined before any. */
  async lastEffectEndedAt(): Promise<Date | undefined> {
    const [{ last }]: { last: Date | null }[] = await this.dataSource.query(`SELECT max("ended_at") AS "last" FROM ${this.effects}`);
    return last ?? undefined;
  }

  /** Ids of all inbox rows. */
  async eventIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(`SELECT "id" FROM ${this.events}`);
    return rows.map((row) => row.id);
  }

  /** Inbox rows. */
  async countEvents(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(`SELECT count(*)::int AS "count" FROM ${this.events}`);
    return count;
  }

  /** Compares the recorded effects with one effect per handler for each of `eventIds`, and none else. */
  async tallyEffects(eventIds: readonly string[]): Promise<EffectTally> {
    const rows: { eventId: string; handler: string; count: number }[] = await this.dataSource.query(
      `SELECT "event_id" AS "eventId", "handler", count(*)::int AS "count" FROM ${this.effects} GROUP BY 1, 2`,
    );
    const seen = new Map(rows.map((row) => [`${row.eventId}:${row.handler}`, row.count]));
    const expected = new Set(eventIds);
    const tally: EffectTally = { exactlyOnce: 0, missing: [], duplicated: [], unexpected: [] };
    for (const id of expected) {
      const counts = RECORDER_HANDLERS.map((handler) => [`${id}:${handler}`, seen.get(`${id}:${handler}`) ?? 0] as const);
      for (const [key, count] of counts) {
        if (count === 0) tally.missing.push(key);
        if (count > 1) tally.duplicated.push(key);
      }
      if (counts.every(([, count]) => count === 1)) tally.exactlyOnce += 1;
    }
    tally.unexpected = [...new Set(rows.map((row) => row.eventId).filter((id) => !expected.has(id)))];
    return tally;
  }

  /** Distinct processes that recorded effects. */
  async countRecordingProcesses(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(
      `SELECT count(DISTINCT "pid")::int AS "count" FROM ${this.effects}`,
    );
    return count;
  }

  /** Pairs of effects of one message whose runs overlapped in time (events of a message must not). */
  async overlappingRuns(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS "count"
         FROM ${this.effects} a JOIN ${this.effects} b
           ON a."message_id" = b."message_id" AND a."id" < b."id"
        WHERE a."started_at" < b."ended_at" AND b."started_at" < a."ended_at"`,
    );
    return count;
  }

  /**
   * Messages whose runs of one handler did not each see all earlier runs: the position a run read
   * in its transaction is not a gap-free 1..n (two runs of the message were concurrent).
   */
  async messagesWithBrokenSequence(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS "count" FROM (
         SELECT count(*) AS "runs", count(DISTINCT "message_seq") AS "positions", max("message_seq") AS "last"
           FROM ${this.effects} GROUP BY "message_id", "handler"
       ) AS "sequence" WHERE "runs" <> "positions" OR "last" <> "runs"`,
    );
    return count;
  }

  /**
   * Events whose `ctx.stale` disagrees with the order they actually ran in: stale exactly when an
   * event of the same message with a later timestamp had finished before this one started.
   */
  async wrongStaleFlags(): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(
      `WITH "runs" AS MATERIALIZED (
         SELECT "event_id", "message_id", min("occurred_at") AS "occurred_at", min("started_at") AS "started_at",
                max("ended_at") AS "ended_at", bool_or("stale") AS "stale"
           FROM ${this.effects} GROUP BY "event_id", "message_id"
       ),
       "overtaken" AS (
         SELECT e."event_id", e."stale", bool_or(f."occurred_at" > e."occurred_at" AND f."ended_at" <= e."started_at") AS "expected"
           FROM "runs" e JOIN "runs" f ON f."message_id" = e."message_id"
          GROUP BY e."event_id", e."stale"
       )
       SELECT count(*)::int AS "count" FROM "overtaken" WHERE "stale" <> "expected"`,
    );
    return count;
  }
}
