import { Redis } from 'ioredis';
import { Client } from 'pg';
import { BENCH_APPLICATION_NAME, type BenchServers, withClient } from './bench-servers';

/** What one phase cost in all: the bench database's and Redis's counters over it, less the counter's own. */
export interface CountedCosts {
  /** Events the phase stored or processed: what the report divides by. */
  events: number;
  /** `pg_stat_database.xact_commit` of the bench database. */
  commits: number;
  /** `pg_stat_database.xact_rollback` of the bench database. */
  rollbacks: number;
  /** WAL inserted, cluster-wide. */
  walBytes: number;
  /** `sum(calls)` of `pg_stat_statements` in the bench database (top-level statements, BEGIN and COMMIT included); `null`: not counted. */
  statements: number | null;
  /** `total_commands_processed` of Redis. */
  redisCommands: number;
}

/** The counters at one moment. */
interface Reading {
  commits: number;
  rollbacks: number;
  walBytes: number;
  statements: number | null;
  /** `pg_stat_statements_info.dealloc`: entries evicted so far (a window with evictions lost calls). */
  evictions: number;
  redisCommands: number;
  /** Commands this counter had sent to Redis before this reading's. */
  ownRedisCommands: number;
}

/** Longest wait for the sessions of a phase to end. */
const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Counts what a phase costs PostgreSQL and Redis.
 *
 * Exact, because every reading is taken when no session is left on the bench database:
 * PostgreSQL 15+ backends add their transaction counts to `pg_stat_database` lazily (at most once a
 * second while busy, about 10 s after going idle), but always before they exit, and a backend
 * leaves `pg_stat_activity` only after that (its stats are flushed by a `before_shmem_exit`
 * callback, its activity entry cleared by an `on_shmem_exit` one, which run later). So a phase is
 * counted from before its processes start to after they stopped: {@link count} waits, before each
 * reading ({@link sessionsEnded}), until `pg_stat_activity` shows no backend on the bench database (on the bench's own
 * server, none at all: autovacuum workers too; on a shared one, the bench's own, by
 * `application_name`), and on the bench's own Redis until no client but this one is connected.
 * A phase therefore includes its apps' start and stop (a few statements against thousands of
 * events), and may not leave a connection open: the orchestrator closes its own before counting.
 *
 * The counter itself adds nothing it does not take off: it reads from another database of the
 * server (its commits are not the bench database's, its statements are filtered out by `dbid`),
 * reads write no WAL, and the commands it sends to Redis are counted and subtracted
 * (`total_commands_processed` counts a command once it ran, so a reading includes every earlier
 * command of this counter but not its own `INFO`). `pg_stat_statements` calls are final as soon
 * as a statement ends; WAL is read at the insert position (`pg_current_wal_insert_lsn()`), which
 * includes records not yet written out. WAL is cluster-wide and Redis's count server-wide: on
 * shared servers the counts include whatever else ran there meanwhile.
 */
export class CostCounter {
  private ownRedisCommands = 0;

  private constructor(
    private readonly pg: Client,
    private readonly redis: Redis,
    private readonly database: string,
    private readonly servers: BenchServers,
    /** Whether `pg_stat_statements` is there to count statements. */
    readonly countsStatements: boolean,
  ) {}

  /** Connects to `servers`; creates `pg_stat_statements` in the bench database (and the one read from) when the server preloads it. */
  static async connect(servers: BenchServers): Promise<CostCounter> {
    const countsStatements = (await enableStatements(servers.databaseUrl)) && (await enableStatements(servers.maintenanceUrl));
    const database = decodeURIComponent(new URL(servers.databaseUrl).pathname.slice(1));
    const pg = new Client({ connectionString: servers.maintenanceUrl });
    // NOTE: a connection lost (the servers stopped at a Ctrl-C) fails the next reading, not the process.
    pg.on('error', () => undefined);
    await pg.connect();
    const redis = new Redis({ ...servers.redis, maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    try {
      await redis.ping();
    } catch (error) {
      await pg.end();
      redis.disconnect();
      throw error;
    }
    // NOTE: commands sent before the first reading (ioredis's ready check, the PING) need no count.
    return new CostCounter(pg, redis, database, servers, countsStatements);
  }

  /** Runs `phase` and counts what PostgreSQL and Redis did from before it to after its sessions ended. */
  async count<T>(phase: () => Promise<T>): Promise<{ result: T; costs: Omit<CountedCosts, 'events'> }> {
    const before = await this.settledReading();
    const result = await phase();
    const after = await this.settledReading();
    const evicted = after.evictions !== before.evictions;
    return {
      result,
      costs: {
        commits: after.commits - before.commits,
        rollbacks: after.rollbacks - before.rollbacks,
        walBytes: after.walBytes - before.walBytes,
        statements: after.statements === null || before.statements === null || evicted ? null : after.statements - before.statements,
        redisCommands: after.redisCommands - before.redisCommands - (after.ownRedisCommands - before.ownRedisCommands),
      },
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.pg.end();
  }

  private async settledReading(): Promise<Reading> {
    await this.sessionsEnded();
    return this.read();
  }

  /** Waits until no session is left on the bench database and, on the bench's own Redis, no other client. */
  async sessionsEnded(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const sessions = await this.openSessions();
      const clients = this.servers.shared.redis ? 0 : (await this.redisClients()) - 1;
      if (sessions.length === 0 && clients === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `still connected after ${SETTLE_TIMEOUT_MS / 1000} s: ${[...sessions, `${clients} other Redis clients`].join(', ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The backends on the bench database, as `pid backend_type application_name`. */
  private async openSessions(): Promise<string[]> {
    const { rows } = await this.pg.query<{ session: string }>(
      `SELECT pid || ' ' || backend_type || ' ' || coalesce(application_name, '') AS session FROM pg_stat_activity
        WHERE datname = $1 AND ($2 OR application_name = $3)`,
      [this.database, !this.servers.shared.postgres, BENCH_APPLICATION_NAME],
    );
    return rows.map((row) => row.session);
  }

  private async redisClients(): Promise<number> {
    return Number(/connected_clients:(\d+)/.exec(await this.redisInfo('clients'))?.[1]);
  }

  private redisInfo(section: string): Promise<string> {
    this.ownRedisCommands++;
    return this.redis.info(section);
  }

  private async read(): Promise<Reading> {
    const statements = this.countsStatements
      ? `(SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s WHERE s.dbid = d.datid)::text AS statements,
         (SELECT dealloc FROM pg_stat_statements_info)::text AS evictions`
      : `NULL AS statements, '0' AS evictions`;
    const { rows } = await this.pg.query<Record<'commits' | 'rollbacks' | 'wal' | 'statements' | 'evictions', string | null>>(
      `SELECT d.xact_commit::text AS commits, d.xact_rollback::text AS rollbacks,
              pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS wal, ${statements}
         FROM pg_stat_database d WHERE d.datname = $1`,
      [this.database],
    );
    const ownRedisCommands = this.ownRedisCommands;
    const info = await this.redisInfo('stats');
    const row = rows[0];
    return {
      commits: Number(row.commits),
      rollbacks: Number(row.rollbacks),
      walBytes: Number(row.wal),
      statements: row.statements === null ? null : Number(row.statements),
      evictions: Number(row.evictions),
      redisCommands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1]),
      ownRedisCommands,
    };
  }
}

/**
 * Creates `pg_stat_statements` in the database of `url` when the server preloads it; whether it
 * can count there (version 1.9 or later, with `pg_stat_statements_info`).
 */
async function enableStatements(url: string): Promise<boolean> {
  try {
    return await withClient(url, async (client) => {
      const { rows } = await client.query<{ preloaded: boolean }>(
        `SELECT 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS preloaded`,
      );
      if (!rows[0].preloaded) return false;
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      const info = await client.query<{ found: boolean }>(`SELECT to_regclass('pg_stat_statements_info') IS NOT NULL AS found`);
      return info.rows[0].found;
    });
  } catch {
    return false;
  }
}
