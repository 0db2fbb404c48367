import { cpus } from 'node:os';
import { BENCH, type BenchAdapter } from './bench.config';
import { type LoadResult, OVERLOAD_CONNECTIONS } from './load';

/** A worker draining a known number of events or jobs. */
export interface DrainResult {
  events: number;
  eventsPerSecond: number;
  /** The drain hit its time limit before `BENCH.drainEvents`. */
  cutShort: boolean;
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
  noop: DrainResult;
  peakRssMiB: { bare: number; ingest: number; worker: number };
}

/** Where and how the run happened. */
export interface RunEnvironment {
  date: string;
  node: string;
  postgres: string;
  redis: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Medians and ratios of one adapter's rounds. */
export function summarise(result: AdapterResult) {
  const bare = median(result.bare.map((round) => round.requestsPerSecond));
  const ingest = median(result.ingest.map((round) => round.requestsPerSecond));
  const handwritten = median(result.handwritten.map((round) => round.requestsPerSecond));
  const ingestAll = median(result.ingestAll.map((round) => round.requestsPerSecond));
  const ingestInstrumented = median(result.ingestInstrumented.map((round) => round.requestsPerSecond));
  return {
    adapter: result.queueBackend === 'postgres' ? `${result.adapter}, PostgreSQL queue` : result.adapter,
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

const TARGETS = [
  {
    name: 'ingest ≥ 1.5 × hand-written',
    met: (s: Summary) => s.ingestOverHandwritten >= 1.5,
    show: (s: Summary) => ratio(s.ingestOverHandwritten),
  },
  { name: 'ingest ≥ 0.55 × bare Nest', met: (s: Summary) => s.ingestOverBare >= 0.55, show: (s: Summary) => ratio(s.ingestOverBare) },
  { name: 'p99 ≤ 50 ms', met: (s: Summary) => s.p99 <= 50, show: (s: Summary) => `${s.p99} ms` },
  { name: 'drain ≥ 1.0 × ingest', met: (s: Summary) => s.drainOverIngest >= 1, show: (s: Summary) => ratio(s.drainOverIngest) },
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

function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

function drainRate(drain: DrainResult): string {
  return `${int(drain.eventsPerSecond)}${drain.cutShort ? ' (cut short)' : ''}`;
}

function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** The results as a Markdown table, the ratios and the targets. */
export function renderResults(results: readonly AdapterResult[]): string {
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
    '| target | ' + summaries.map((s) => s.adapter).join(' | ') + ' |',
    '| --- | ' + summaries.map(() => '---').join(' | ') + ' |',
    ...TARGETS.map(
      (target) => `| ${target.name} | ${summaries.map((s) => `${target.show(s)} ${target.met(s) ? 'met' : 'missed'}`).join(' | ')} |`,
    ),
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
export function renderBenchmarksFile(results: readonly AdapterResult[], env: RunEnvironment): string {
  const cpu = cpus();
  return `# Benchmarks

Written by \`npm run bench -- --write\` from the run below; not edited by hand.

- Date: ${env.date}
- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}); the apps, PostgreSQL, Redis and the load generator all share them, so absolute numbers vary from run to run; the ratios compare runs made side by side.
- Node ${env.node}, PostgreSQL ${env.postgres}, Redis ${env.redis}
- Load: autocannon, ${BENCH.connections} connections, ${BENCH.warmupSeconds} s warm-up per app, then ${BENCH.rounds} rounds of ${BENCH.durationSeconds} s per app, bare and library alternating; medians reported.

${renderResults(results)}

## What is measured

- **bare Nest**: a Nest app on the same adapter, \`rawBody: true\`, whose \`POST /webhooks/sms\` answers 200 with a receipt-shaped body and does nothing else: the framework's limit on this machine.
- **hand-written**: what a NestJS user would write instead, same adapter: verify with the \`standardwebhooks\` package, TypeORM \`repository.insert()\`, BullMQ \`queue.add()\`, then 200, per request.
- **ingest**: a host app importing \`OpenSmsWebhookModule\` in \`ingest\` mode (the worker runs in its own process, as in a scaled deployment): every request carries a distinct, signed OpenSMS delivery (\`signWebhook\`), is verified, committed to the Postgres inbox, then answered 200 (the relay of a worker process queues it). p50 / p99 are its latencies.
- **mode all**: the same host in \`all\` mode (one process ingesting and working, what \`npm start\` runs), one round.
- **drain**: the same host module in \`worker\` mode (concurrency ${BENCH.concurrency}, pool ${BENCH.poolSize}) processing the first ${BENCH.drainEvents} stored events of the split deployment's backlog (its relay queues them): batches of events in one transaction each, with their messages' advisory locks, each handler in a savepoint with its completion mark, and a handler that updates the host's \`bench_sms_messages\` row through \`ctx.manager\`. Rate = events / time between the first and last \`processed_at\` of the events it processed. **drain after ANALYZE**: the same for the next ${BENCH.drainEvents} events, after \`ANALYZE\` of the inbox taken while most of it was still unprocessed (the plans must not depend on statistics). The mode 'all' app works on an inbox of its own.
- **metrics and tracing**: the ingest app once more with \`OpenSmsWebhookMetricsModule\` (its own registry) and an OpenTelemetry SDK registered in its process (\`BasicTracerProvider\`, a \`BatchSpanProcessor\` whose exporter drops the spans, async-hooks context, W3C propagation), measured in the same rounds; and a third drain with the same instrumentation, compared with the drain after ANALYZE before it.
- **no-op worker**: \`new Worker(queue, async () => {})\` on the same Redis at the same concurrency over ${BENCH.drainEvents} pre-added jobs: the queue's own cost per event.
- **2× overload**: after its rounds, the ingest app is offered twice its measured rate for ${BENCH.durationSeconds} s (open loop, up to ${OVERLOAD_CONNECTIONS} connections, more than \`ingestQueueLimit\`): every answer must be 200 or 503 (\`Retry-After\`), and the inbox must hold a new row for every 200 (calls still in flight when the round ends add rows whose answers are not counted).
- **peak RSS**: VmHWM of each app's process (the apps run as child processes of the bench); the ingest app's includes the overload round.
- Apps log at \`warn\` and \`error\` only, as a production deployment would (the library logs every event at \`log\` level).

## Reproduce

\`\`\`sh
npm ci
npm run bench                 # about ten minutes; prints this table
npm run bench -- --write      # also rewrites BENCHMARKS.md
BENCH_QUICK=1 npm run bench   # a short smoke run
\`\`\`

PostgreSQL at 127.0.0.1:5432 (\`BENCH_DATABASE_URL\`, default \`postgres://postgres@127.0.0.1:5432/test\`) and Redis at
127.0.0.1:6379 (\`BENCH_REDIS_HOST\` / \`BENCH_REDIS_PORT\`). The bench creates its own schema and queue prefix and drops
them at the end. Other knobs: \`BENCH_DURATION\`, \`BENCH_DRAIN_EVENTS\`, \`BENCH_CONCURRENCY\`, \`BENCH_POOL\`;
\`BENCH_CPU_PROF=1\` writes a CPU profile of each app into \`dist-bench/profiles/\`.
`;
}
