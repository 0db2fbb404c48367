import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { deleteKeysWithPrefix } from '../test/support/redis-keys';
import { BENCH } from './bench.config';
import { hostDatabaseOptions } from './bench-apps';
import { benchMessageTablesSql } from './bench-message.entity';
import { type BenchStore, bullOptionsOf, queueSchemaOf } from './bench-store-config';
import { HANDWRITTEN_EVENTS_TABLE, handwrittenDatabaseOptions } from './handwritten-receiver.app';

/** Counts and timing of the events a worker finished. */
export interface DrainProgress {
  processed: number;
  firstAt: number;
  lastAt: number;
}

/**
 * The benchmark's own PostgreSQL schemas and Redis keys: created at the start, dropped at the end.
 * Connects on first use; {@link disconnect} closes its sessions before a counted phase (see
 * cost-counter.ts), the next query opens them again. The only place that queries the library's
 * inbox tables directly.
 */
export class BenchStoreAdmin {
  private pg?: Promise<DataSource>;

  private connection(): Promise<DataSource> {
    this.pg ??= new DataSource({ type: 'postgres', url: BENCH.databaseUrl, extra: { max: 2 } }).initialize();
    return this.pg;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as the driver returns them
  private async query(sql: string, parameters?: unknown[]): Promise<any[]> {
    return (await this.connection()).query(sql, parameters);
  }

  /**
   * A fresh store: its schema with the host's tables, the library's migrations and the hand-written
   * receiver's table, and an empty queue (its schema migrated on the PostgreSQL backend), so that
   * no app creates tables while it is measured. A `counted` store's tables are left out of
   * autovacuum: see {@link settleMaintenance}.
   */
  async prepareStore(store: BenchStore, counted = false): Promise<void> {
    await this.dropStore(store);
    await this.query(`CREATE SCHEMA "${store.schema}"`);
    for (const sql of benchMessageTablesSql(store.schema)) await this.query(sql);
    await withDataSource({ ...hostDatabaseOptions(store), extra: { max: 1 } }, (dataSource) => dataSource.runMigrations());
    await withDataSource({ ...handwrittenDatabaseOptions(store), extra: { max: 1 } }, async () => undefined);
    if (store.queueBackend === 'postgres') await migrateQueueSchema(store);
    if (counted) await this.disableAutovacuum([store.schema, queueSchemaOf(store)]);
  }

  /**
   * `ANALYZE`, then `VACUUM`, of the whole database, before a counted phase: autovacuum would do
   * what earlier phases left (dead rows, catalogs changed by DDL, statistics due) at a moment of its
   * choosing, inside whichever phase is being counted then. With this, and autovacuum off on the
   * counted stores' tables, it has nothing to do during a count: maintenance is counted in no phase.
   * A session's table statistics (what autovacuum decides from) reach the server only when it
   * ends, so each command runs after `sessionsEnded` (every session gone), in a session of its own.
   */
  async settleMaintenance(sessionsEnded: () => Promise<void>): Promise<void> {
    for (const command of ['ANALYZE', 'VACUUM']) {
      await this.disconnect();
      await sessionsEnded();
      await this.query(command);
    }
    await this.disconnect();
  }

  /** Drops a store's schemas, or its Redis keys. */
  async dropStore(store: BenchStore): Promise<void> {
    await this.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    if (store.queueBackend === 'postgres') await this.query(`DROP SCHEMA IF EXISTS "${queueSchemaOf(store)}" CASCADE`);
    else await clearRedisPrefix(store.queuePrefix);
  }

  /** The database's clock, as `drainProgress` compares with it. */
  async now(): Promise<Date> {
    const rows = await this.query('SELECT now() AS now');
    return rows[0].now;
  }

  async countStored(schema: string): Promise<number> {
    const rows = await this.query(`SELECT count(*)::int AS n FROM "${schema}"."opensms_webhook_events"`);
    return rows[0].n;
  }

  /** How many of the inbox ids `ids` a store holds. */
  async countStoredIds(schema: string, ids: readonly string[]): Promise<number> {
    const rows = await this.query(`SELECT count(*)::int AS n FROM "${schema}"."opensms_webhook_events" WHERE "id"::text = ANY($1)`, [ids]);
    return rows[0].n;
  }

  async countUnfinished(schema: string): Promise<number> {
    const rows = await this.query(
      `SELECT count(*)::int AS n FROM "${schema}"."opensms_webhook_event_states" WHERE "state" IN ('received', 'processing')`,
    );
    return rows[0].n;
  }

  /** Statistics of the inbox as they are now. */
  async analyze(schema: string): Promise<void> {
    await this.query(`ANALYZE "${schema}"."opensms_webhook_events", "${schema}"."opensms_webhook_event_states"`);
  }

  /** The events processed since `since`. */
  drainProgress(schema: string, since: Date): Promise<DrainProgress> {
    return this.progress(`"${schema}"."opensms_webhook_event_states" WHERE "state" = 'processed'`, since);
  }

  /** Rows the hand-written receiver stored. */
  async countHandwrittenStored(schema: string): Promise<number> {
    const rows = await this.query(`SELECT count(*)::int AS n FROM "${schema}"."${HANDWRITTEN_EVENTS_TABLE}"`);
    return rows[0].n;
  }

  /** The hand-written receiver's rows the hand-written worker processed since `since`. */
  handwrittenDrainProgress(schema: string, since: Date): Promise<DrainProgress> {
    return this.progress(`"${schema}"."${HANDWRITTEN_EVENTS_TABLE}" WHERE "state" = 'processed'`, since);
  }

  async serverVersion(): Promise<string> {
    const rows = await this.query('SHOW server_version');
    return String(rows[0].server_version).split(' ')[0];
  }

  /** Closes its sessions; the next query opens them again. */
  async disconnect(): Promise<void> {
    const pg = this.pg;
    this.pg = undefined;
    if (pg) await (await pg).destroy();
  }

  close(): Promise<void> {
    return this.disconnect();
  }

  private async disableAutovacuum(schemas: string[]): Promise<void> {
    const tables = await this.query(`SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = ANY($1)`, [
      schemas,
    ]);
    for (const { name } of tables) await this.query(`ALTER TABLE ${name} SET (autovacuum_enabled = off, toast.autovacuum_enabled = off)`);
  }

  /** Count and first and last `processed_at` of the rows of `processedRows` (`table WHERE …`) processed since `since`. */
  private async progress(processedRows: string, since: Date): Promise<DrainProgress> {
    const rows = await this.query(
      `SELECT count(*)::int AS n,
              coalesce(extract(epoch FROM min("processed_at")) * 1000, 0)::float8 AS first,
              coalesce(extract(epoch FROM max("processed_at")) * 1000, 0)::float8 AS last
         FROM ${processedRows} AND "processed_at" >= $1`,
      [since],
    );
    return { processed: rows[0].n, firstAt: rows[0].first, lastAt: rows[0].last };
  }
}

/** Runs `work` on a TypeORM data source of its own, destroyed afterwards. */
async function withDataSource(options: DataSourceOptions, work: (dataSource: DataSource) => Promise<unknown>): Promise<void> {
  const dataSource = await new DataSource(options).initialize();
  try {
    await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Brings the store's BullMQ schema up to date (`migrate: true` on connecting), as the apps' queues would. */
async function migrateQueueSchema(store: BenchStore): Promise<void> {
  const { options, backend } = bullOptionsOf(store);
  const queue = new Queue('bench-migrate', options, backend);
  try {
    await queue.waitUntilReady();
  } finally {
    await queue.close();
  }
}

/** Adds `count` jobs shaped like the library's (an id in the data, removed on completion) for the no-op worker. */
export async function addNoopJobs(queueName: string, store: BenchStore, count: number): Promise<void> {
  const { options, backend } = bullOptionsOf(store);
  const queue = new Queue(queueName, options, backend);
  try {
    for (let first = 0; first < count; first += 1000) {
      const size = Math.min(1000, count - first);
      await queue.addBulk(
        Array.from({ length: size }, (_, offset) => ({
          name: 'dispatch',
          data: { eventId: `noop-${first + offset}` },
          opts: { jobId: `noop-${first + offset}`, attempts: 8, removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
        })),
      );
    }
  } finally {
    await queue.close();
  }
}

/** Deletes every Redis key under `prefix`. */
export function clearRedisPrefix(prefix: string): Promise<void> {
  return deleteKeysWithPrefix(BENCH.redis, prefix);
}

export async function redisVersion(): Promise<string> {
  const redis = new Redis(BENCH.redis);
  try {
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}
