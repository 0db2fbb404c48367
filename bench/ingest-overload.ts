import os from 'node:os';
import { BENCH, type BenchAdapter } from './bench.config';
import { BenchProcess } from './bench-process';
import { startBenchServers } from './bench-servers';
import { BenchStoreAdmin } from './bench-store';
import type { BenchStore } from './bench-store-config';
import { presignDeliveries } from './deliveries';
import { type AnsweredLoad, OVERLOAD_CONNECTIONS, runAnsweredLoad, runLoad } from './load';

/**
 * `npm run bench:overload`: the library's ingest app (mode 'ingest', default options) in a child
 * process per adapter. It measures the rate the app sustains (closed loop, `BENCH.connections`
 * clients), then offers twice that rate, open loop, for `OVERLOAD_SECONDS` from this process, and
 * prints what the clients saw: answers by status, latencies, how many were answered within 1 s, the
 * app's peak RSS, and whether the inbox holds every event a 200 named.
 */
const SUSTAINED_SECONDS = numberFromEnv('BENCH_SUSTAINED_SECONDS', BENCH.quick ? 3 : 10);
const OVERLOAD_SECONDS = numberFromEnv('BENCH_OVERLOAD_SECONDS', BENCH.quick ? 5 : 20);
/** A call without an answer after this long counts as unanswered. */
const TIMEOUT_SECONDS = 10;
/** What the answers are held to: every one within a second. */
const PROMPT_MS = 1000;
/** Pre-signed deliveries per second of load, above what an ingest process takes; each is sent once per round at most. */
const DELIVERIES_PER_SECOND = 12_000;
const HARD_LIMIT_MS = 10 * 60_000;

function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function log(message: string): void {
  process.stderr.write(`[bench:overload] ${message}\n`);
}

interface OverloadFigures {
  adapter: BenchAdapter;
  sustainedPerSecond: number;
  offeredPerSecond: number;
  answers: AnsweredLoad;
  peakRssMiB: number;
  stored: number;
}

async function measure(adapter: BenchAdapter, admin: BenchStoreAdmin): Promise<OverloadFigures> {
  const tag = `overload_${process.pid}_${adapter}`;
  const store: BenchStore = { schema: `bench_${tag}`, queuePrefix: `bench_${tag}`, queueBackend: 'redis' };
  await admin.prepareStore(store);
  const { process: app, url } = await BenchProcess.start({ role: 'product', adapter, store });
  try {
    let next = 0;
    const deliveriesFor = (seconds: number) => {
      const count = DELIVERIES_PER_SECOND * seconds;
      next += count;
      return presignDeliveries(tag, next - count, count);
    };
    log(`${adapter}: warm-up, then the sustained rate (${SUSTAINED_SECONDS} s, ${BENCH.connections} connections)`);
    await runLoad(url!, deliveriesFor(BENCH.warmupSeconds), BENCH.warmupSeconds);
    const sustained = await runLoad(url!, deliveriesFor(SUSTAINED_SECONDS), SUSTAINED_SECONDS);
    const sustainedPerSecond = (sustained.statuses['200'] ?? 0) / SUSTAINED_SECONDS;
    const offered = { ratePerSecond: 2 * sustainedPerSecond, connections: OVERLOAD_CONNECTIONS };
    log(
      `${adapter}: ${Math.round(offered.ratePerSecond)} req/s offered for ${OVERLOAD_SECONDS} s over ${OVERLOAD_CONNECTIONS} connections`,
    );
    const answers = await runAnsweredLoad(url!, deliveriesFor(OVERLOAD_SECONDS), OVERLOAD_SECONDS, offered, TIMEOUT_SECONDS);
    const peakRssMiB = app.peakRssMiB();
    const stored = await admin.countStoredIds(store.schema, answers.acceptedIds);
    return { adapter, sustainedPerSecond, offeredPerSecond: offered.ratePerSecond, answers, peakRssMiB, stored };
  } finally {
    await app.stop();
    await admin.dropStore(store);
  }
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
}

function render(figures: OverloadFigures): string {
  const { answers } = figures;
  const sorted = [...answers.latenciesMs].sort((a, b) => a - b);
  const ok = answers.statuses['200'] ?? 0;
  const unavailable = answers.statuses['503'] ?? 0;
  const other = Object.entries(answers.statuses)
    .filter(([status]) => status !== '200' && status !== '503')
    .reduce((sum, [, count]) => sum + count, 0);
  const calls = sorted.length + answers.noAnswer;
  const prompt = sorted.filter((ms) => ms <= PROMPT_MS).length;
  const int = (value: number) => Math.round(value).toLocaleString('en-US');
  return [
    `${figures.adapter}: sustained ${int(figures.sustainedPerSecond)} req/s; offered ${int(figures.offeredPerSecond)} req/s for ${OVERLOAD_SECONDS} s`,
    `  answers: ${int(ok)} × 200, ${int(unavailable)} × 503, ${int(other)} other, ${int(answers.noAnswer)} no answer within ${TIMEOUT_SECONDS} s` +
      ` (${int(answers.sent - calls)} still in flight when the round ended)`,
    `  latency: p99 ${int(percentile(sorted, 0.99))} ms, max ${int(sorted.at(-1) ?? NaN)} ms;` +
      ` answered within ${PROMPT_MS / 1000} s: ${((100 * prompt) / Math.max(1, calls)).toFixed(2)} % of ${int(calls)} calls`,
    `  ingest process peak RSS: ${figures.peakRssMiB.toFixed(0)} MiB`,
    `  every 200 stored: ${figures.stored === answers.acceptedIds.length ? 'yes' : 'NO'} (${int(figures.stored)} of ${int(answers.acceptedIds.length)} in the inbox)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const hardLimit = setTimeout(() => {
    log(`stopped after ${HARD_LIMIT_MS / 1000} s`);
    process.exit(1);
  }, HARD_LIMIT_MS);
  hardLimit.unref();
  const servers = await startBenchServers();
  log(servers.description);
  const admin = new BenchStoreAdmin();
  try {
    const results: OverloadFigures[] = [];
    for (const adapter of BENCH.adapters) results.push(await measure(adapter, admin));
    const [oneMinute] = os.loadavg();
    process.stdout.write(
      `\nNode ${process.version}, ${os.cpus().length} CPUs, load average ${oneMinute.toFixed(1)} at the end; ${servers.description}\n` +
        `ingest.maxEventLoopDelayMs: ${BENCH.maxEventLoopDelayMs ?? 'the default'}\n` +
        `${results.map(render).join('\n')}\n`,
    );
  } finally {
    await admin.close();
    await servers.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
