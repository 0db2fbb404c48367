import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { deleteKeysWithPrefix } from '../test/support/redis-keys';
import { BENCH } from './bench.config';
import { type BenchStore, bullOptionsOf } from './bench-apps';
import { benchMessageTableSql } from './bench-message.entity';

/** Counts and timing of the events a worker finished. */
export interface DrainProgress {
  processed: number;
  firstAt: number;
  lastAt: number;
}

/** The benchmark's own PostgreSQL schema and Redis keys: created at the start, dropped at the end. */
export class BenchStoreAdmin {
  private constructor(private readonly pg: DataSource) {}

  static async connect(): Promise<BenchStoreAdmin> {
    const pg = new DataSource({ type: 'postgres', url: BENCH.databaseUrl, extra: { max: 2 } });
    await pg.initialize();
    return new BenchStoreAdmin(pg);
  }

  async createSchema(schema: string): Promise<void> {
    await this.pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await this.pg.query(`CREATE SCHEMA "${schema}"`);
    await this.pg.query(benchMessageTableSql(schema));
  }

  /** Inserts the host's message rows that the deliveries numbered `first` to `first + count` update. */
  async seedMessages(schema: string, tag: string, first: number, count: number): Promise<void> {
    await this.pg.query(
      `INSERT INTO "${schema}"."bench_sms_messages" ("message_id", "status")
       SELECT 'msg_' || $1 || '_' || g, 'sent' FROM generate_series($2::int, $3::int) AS g
       ON CONFLICT DO NOTHING`,
      [tag, Math.floor(first / 2), Math.floor((first + count) / 2)],
    );
  }

  /** The database's clock, as `drainProgress` compares with it. */
  async now(): Promise<Date> {
    const rows = await this.pg.query('SELECT now() AS now');
    return rows[0].now;
  }

  async countStored(schema: string): Promise<number> {
    const rows = await this.pg.query(`SELECT count(*)::int AS n FROM "${schema}"."opensms_webhook_events"`);
    return rows[0].n;
  }

  async countUnfinished(schema: string): Promise<number> {
    const rows = await this.pg.query(
      `SELECT count(*)::int AS n FROM "${schema}"."opensms_webhook_events" WHERE "state" IN ('received', 'processing')`,
    );
    return rows[0].n;
  }

  /** Statistics of the inbox as they are now. */
  async analyze(schema: string): Promise<void> {
    await this.pg.query(`ANALYZE "${schema}"."opensms_webhook_events"`);
  }

  /** The events processed since `since`. */
  async drainProgress(schema: string, since: Date): Promise<DrainProgress> {
    const rows = await this.pg.query(
      `SELECT count(*)::int AS n,
              coalesce(extract(epoch FROM min("processed_at")) * 1000, 0)::float8 AS first,
              coalesce(extract(epoch FROM max("processed_at")) * 1000, 0)::float8 AS last
         FROM "${schema}"."opensms_webhook_events" WHERE "state" = 'processed' AND "processed_at" >= $1`,
      [since],
    );
    return { processed: rows[0].n, firstAt: rows[0].first, lastAt: rows[0].last };
  }

  async dropSchema(schema: string): Promise<void> {
    await this.pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }

  async serverVersion(): Promise<string> {
    const rows = await this.pg.query('SHOW server_version');
    return String(rows[0].server_version).split(' ')[0];
  }

  async close(): Promise<void> {
    await this.pg.destroy();
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
