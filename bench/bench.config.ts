/** Settings of one benchmark run; `BENCH_QUICK=1` shortens every phase for a smoke run. */
const quick = process.env.BENCH_QUICK === '1';

function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const ADAPTERS = ['express', 'fastify'] as const;
/** `npm run bench:console-search` without `BENCH_DATABASE_URL`; `npm run bench` starts servers of its own instead. */
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

function adaptersFromEnv(): (typeof ADAPTERS)[number][] {
  const wanted = process.env.BENCH_ADAPTERS?.split(',') ?? [];
  const chosen = ADAPTERS.filter((adapter) => wanted.includes(adapter));
  return chosen.length > 0 ? chosen : [...ADAPTERS];
}

export const BENCH = {
  quick,
  /** `BENCH_ADAPTERS=fastify` measures one adapter only. */
  adapters: adaptersFromEnv(),
  /** Also measure the first adapter with the queue on BullMQ's PostgreSQL backend (`BENCH_POSTGRES_QUEUE=0`: Redis only). */
  postgresQueue: process.env.BENCH_POSTGRES_QUEUE !== '0',
  connections: 50,
  /** Seconds of each measured load round. */
  durationSeconds: numberFromEnv('BENCH_DURATION', quick ? 3 : 10),
  /** Seconds of load sent to each app before any measured round. */
  warmupSeconds: quick ? 1 : 2,
  /** Measured rounds per app; product and baseline alternate. */
  rounds: 2,
  /**
   * Stored events drained by each library worker drain, and jobs drained by the no-op worker; also the
   * deliveries of the counted ingest rounds whose backlogs the counted drains (library and hand-written worker) take.
   */
  drainEvents: numberFromEnv('BENCH_DRAIN_EVENTS', quick ? 1000 : 4000),
  /** Longest wait for a drain before it is cut short (its rate is still measured). */
  drainTimeoutSeconds: quick ? 10 : 25,
  /** Worker concurrency of the library, the hand-written and the no-op worker: the library's default. */
  concurrency: numberFromEnv('BENCH_CONCURRENCY', 64),
  /** Pool size of the host app (TypeORM `extra.max`) and of the hand-written worker (`pg` `Pool` `max`). */
  poolSize: numberFromEnv('BENCH_POOL', 10),
  /**
   * PostgreSQL of the apps: `BENCH_DATABASE_URL`. Read at each use: `npm run bench` sets it to the
   * server it starts (see bench-servers.ts) before it connects or forks an app.
   */
  get databaseUrl(): string {
    return process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  },
  /** Redis of the apps: `BENCH_REDIS_HOST` / `BENCH_REDIS_PORT`, read at each use like `databaseUrl`. */
  get redis(): { host: string; port: number } {
    return { host: process.env.BENCH_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT ?? 6379) };
  },
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  path: '/webhooks/sms',
  /** `BENCH_MAX_EVENT_LOOP_DELAY_MS`: the apps' `ingest.maxEventLoopDelayMs` (`0`: off), else the library's default. */
  maxEventLoopDelayMs:
    process.env.BENCH_MAX_EVENT_LOOP_DELAY_MS === undefined ? undefined : Number(process.env.BENCH_MAX_EVENT_LOOP_DELAY_MS),
  /** Log levels of the apps, as a production deployment would set them (the library logs every event at `log`). */
  logLevels: ['warn', 'error'] as ('warn' | 'error')[],
};

export type BenchAdapter = (typeof ADAPTERS)[number];
