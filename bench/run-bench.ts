import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, type BenchAdapter } from './bench.config';
import { type BenchStore, queueSchemaOf } from './bench-apps';
import { BenchProcess } from './bench-process';
import { type AdapterResult, type DrainResult, median, type OverloadResult, renderBenchmarksFile, renderResults } from './bench-report';
import { addNoopJobs, BenchStoreAdmin, clearRedisPrefix, redisVersion } from './bench-store';
import { presignDeliveries } from './deliveries';
import { type LoadResult, OVERLOAD_CONNECTIONS, runLoad } from './load';

/** The whole run is stopped after this long, whatever happens. */
const HARD_LIMIT_MS = 20 * 60_000;
/** Pre-signed deliveries per second of load: above what the library ingests on a small machine. */
const DELIVERIES_PER_SECOND = 8000;
const NOOP_QUEUE = 'bench-noop';

const running = new Set<BenchProcess>();

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function start(role: Parameters<typeof BenchProcess.start>[0]): Promise<{ process: BenchProcess; url?: string }> {
  const started = await BenchProcess.start(role);
  running.add(started.process);
  return started;
}

async function stop(child: BenchProcess): Promise<number> {
  const rss = child.peakRssMiB();
  await child.stop();
  running.delete(child);
  return rss;
}

/** Numbers deliveries across the run so that every product round sends events never seen before. */
class DeliverySource {
  private next = 0;

  constructor(
    private readonly admin: BenchStoreAdmin,
    private readonly store: BenchStore,
    private readonly tag: string,
  ) {}

  async forSeconds(seconds: number) {
    const count = DELIVERIES_PER_SECOND * seconds;
    const first = this.next;
    this.next += count;
    await this.admin.seedMessages(this.store.schema, this.tag, first, count);
    return presignDeliveries(this.tag, first, count);
  }
}

async function measureLoad(adapter: BenchAdapter, admin: BenchStoreAdmin, store: BenchStore, tag: string) {
  const bare = await start({ role: 'bare', adapter, store });
  const handwritten = await start({ role: 'handwritten', adapter, store });
  const product = await start({ role: 'product', adapter, store });
  const instrumented = await start({ role: 'product-instrumented', adapter, store });
  const source = new DeliverySource(admin, store, tag);
  const bareDeliveries = presignDeliveries(`${tag}_bare`, 0, DELIVERIES_PER_SECOND * 2);
  const handwrittenSource = new DeliverySource(admin, store, `${tag}_hand`);

  log(`${adapter}: warm-up`);
  await runLoad(bare.url!, bareDeliveries, BENCH.warmupSeconds);
  await runLoad(handwritten.url!, await handwrittenSource.forSeconds(BENCH.warmupSeconds), BENCH.warmupSeconds);
  await runLoad(product.url!, await source.forSeconds(BENCH.warmupSeconds), BENCH.warmupSeconds);
  await runLoad(instrumented.url!, await source.forSeconds(BENCH.warmupSeconds), BENCH.warmupSeconds);

  const rounds: Record<'bare' | 'handwritten' | 'ingest' | 'ingestInstrumented' | 'ingestAll', LoadResult[]> = {
    bare: [],
    handwritten: [],
    ingest: [],
    ingestInstrumented: [],
    ingestAll: [],
  };
  for (let round = 1; round <= BENCH.rounds; round++) {
    log(`${adapter}: round ${round}/${BENCH.rounds}, bare Nest`);
    rounds.bare.push(await runLoad(bare.url!, bareDeliveries, BENCH.durationSeconds));
    log(`${adapter}: round ${round}/${BENCH.rounds}, hand-written receiver`);
    rounds.handwritten.push(
      await runLoad(handwritten.url!, await handwrittenSource.forSeconds(BENCH.durationSeconds), BENCH.durationSeconds),
    );
    const deliveries = await source.forSeconds(BENCH.durationSeconds);
    log(`${adapter}: round ${round}/${BENCH.rounds}, library ingest (split deployment)`);
    rounds.ingest.push(await runLoad(product.url!, deliveries, BENCH.durationSeconds));
    log(`${adapter}: round ${round}/${BENCH.rounds}, library ingest with metrics and tracing`);
    rounds.ingestInstrumented.push(await runLoad(instrumented.url!, await source.forSeconds(BENCH.durationSeconds), BENCH.durationSeconds));
  }
  log(`${adapter}: library ingest under 2× overload`);
  const overload = await measureOverload(admin, store, product.url!, source, median(rounds.ingest.map((round) => round.requestsPerSecond)));
  const peakRssMiB = { bare: await stop(bare.process), ingest: await stop(product.process) };
  await stop(handwritten.process);
  await stop(instrumented.process);

  // NOTE: one process ingesting and working (mode 'all', what `npm start` runs), in an inbox of its
  // own: its relay and worker must not take the split rounds' backlog, which the drain measures.
  const allStore = allStoreOf(store);
  await admin.createSchema(allStore.schema);
  const all = await start({ role: 'product-all', adapter, store: allStore });
  const allSource = new DeliverySource(admin, allStore, `${tag}_all`);
  log(`${adapter}: library ingest, mode 'all' (one process)`);
  rounds.ingestAll.push(await runLoad(all.url!, await allSource.forSeconds(BENCH.durationSeconds), BENCH.durationSeconds));
  await stop(all.process);
  return { rounds, overload, peakRssMiB };
}

/** Offers twice `ingestRate` for one round; counts the answers and the inbox rows it added. */
async function measureOverload(
  admin: BenchStoreAdmin,
  store: BenchStore,
  url: string,
  source: DeliverySource,
  ingestRate: number,
): Promise<OverloadResult> {
  const offered = { ratePerSecond: 2 * ingestRate, connections: OVERLOAD_CONNECTIONS };
  const deliveries = await source.forSeconds(BENCH.durationSeconds);
  const before = await admin.countStored(store.schema);
  const load = await runLoad(url, deliveries, BENCH.durationSeconds, offered);
  const stored = (await admin.countStored(store.schema)) - before;
  return { offeredPerSecond: offered.ratePerSecond, connections: offered.connections, load, stored };
}

/** The inbox and queue of the mode 'all' app, apart from the split deployment's. */
function allStoreOf(store: BenchStore): BenchStore {
  return { ...store, schema: `${store.schema}_all`, queuePrefix: `${store.queuePrefix}_all` };
}

/**
 * Starts the library's worker on the stored backlog and times it over the next `BENCH.drainEvents`
 * events (those processed since it started), then stops it.
 */
async function measureDrain(admin: BenchStoreAdmin, store: BenchStore, instrumented = false): Promise<{ drain: DrainResult; rss: number }> {
  const since = await admin.now();
  const target = Math.min(BENCH.drainEvents, await admin.countUnfinished(store.schema));
  const worker = await start({ role: 'worker', store, instrumented });
  const deadline = Date.now() + BENCH.drainTimeoutSeconds * 1000;
  let progress = await admin.drainProgress(store.schema, since);
  while (progress.processed < target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    progress = await admin.drainProgress(store.schema, since);
  }
  const rss = await stop(worker.process);
  progress = await admin.drainProgress(store.schema, since);
  const seconds = (progress.lastAt - progress.firstAt) / 1000;
  return {
    drain: { events: progress.processed, eventsPerSecond: (progress.processed - 1) / seconds, cutShort: progress.processed < target },
    rss,
  };
}

async function measureNoopWorker(store: BenchStore): Promise<DrainResult> {
  await addNoopJobs(NOOP_QUEUE, store, BENCH.drainEvents);
  const worker = await start({ role: 'noop-worker', queueName: NOOP_QUEUE, store, jobs: BENCH.drainEvents });
  try {
    const drained = await worker.process.next('drained', BENCH.drainTimeoutSeconds * 1000);
    return {
      events: drained.count,
      eventsPerSecond: (drained.count - 1) / ((drained.lastAt - drained.firstAt) / 1000),
      cutShort: false,
    };
  } finally {
    await stop(worker.process);
  }
}

async function benchAdapter(
  adapter: BenchAdapter,
  queueBackend: BenchStore['queueBackend'],
  admin: BenchStoreAdmin,
): Promise<AdapterResult> {
  const tag = `${process.pid}_${adapter}_${queueBackend}`;
  const store: BenchStore = { schema: `bench_${tag}`, queuePrefix: `bench_${tag}`, queueBackend };
  const noopStore: BenchStore = { schema: `${store.schema}_noop`, queuePrefix: `${store.queuePrefix}_noop`, queueBackend };
  await admin.createSchema(store.schema);
  try {
    const load = await measureLoad(adapter, admin, store, tag);
    log(`${adapter}: library worker drain`);
    const { drain, rss } = await measureDrain(admin, store);
    // NOTE: statistics taken now, with most rows still `received`, once made the claim's stale check
    // scan every processed row; the drain after ANALYZE shows whether plans still depend on them.
    await admin.analyze(store.schema);
    log(`${adapter}: library worker drain after ANALYZE`);
    const { drain: drainAnalyzed } = await measureDrain(admin, store);
    log(`${adapter}: library worker drain with metrics and tracing`);
    const { drain: drainInstrumented } = await measureDrain(admin, store, true);
    log(`${adapter}: no-op BullMQ worker`);
    const noop = await measureNoopWorker(noopStore);
    return {
      adapter,
      queueBackend,
      ...load.rounds,
      overload: load.overload,
      drain,
      drainAnalyzed,
      drainInstrumented,
      noop,
      peakRssMiB: { ...load.peakRssMiB, worker: rss },
    };
  } finally {
    const allStore = allStoreOf(store);
    await admin.dropSchema(store.schema);
    await admin.dropSchema(allStore.schema);
    if (queueBackend === 'postgres') {
      for (const used of [store, noopStore, allStore]) await admin.dropSchema(queueSchemaOf(used));
    } else {
      await clearRedisPrefix(store.queuePrefix);
      await clearRedisPrefix(`${store.queuePrefix}_noop`);
      await clearRedisPrefix(`${store.queuePrefix}_all`);
    }
  }
}

async function main(): Promise<void> {
  const hardLimit = setTimeout(() => {
    log(`stopped after ${HARD_LIMIT_MS / 1000} s`);
    running.forEach((child) => child.kill());
    process.exit(1);
  }, HARD_LIMIT_MS);
  hardLimit.unref();
  const admin = await BenchStoreAdmin.connect();
  try {
    const results: AdapterResult[] = [];
    for (const adapter of BENCH.adapters) results.push(await benchAdapter(adapter, 'redis', admin));
    if (BENCH.postgresQueue) results.push(await benchAdapter(BENCH.adapters[0], 'postgres', admin));
    const table = renderResults(results);
    process.stdout.write(`\n${table}\n`);
    if (process.argv.includes('--write')) {
      const environment = {
        date: new Date().toISOString(),
        node: process.version,
        postgres: await admin.serverVersion(),
        redis: await redisVersion(),
      };
      writeFileSync(join(process.cwd(), 'BENCHMARKS.md'), renderBenchmarksFile(results, environment));
      log('BENCHMARKS.md written');
    }
  } finally {
    running.forEach((child) => child.kill());
    await admin.close();
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    running.forEach((child) => child.kill());
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
