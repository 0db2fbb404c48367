import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, type BenchAdapter } from './bench.config';
import type { ChildRole } from './bench-child';
import { BenchProcess } from './bench-process';
import {
  type AdapterResult,
  type CountedDrain,
  type DrainResult,
  median,
  type OverloadResult,
  renderBenchmarksFile,
  renderResults,
} from './bench-report';
import { type BenchServers, startBenchServers } from './bench-servers';
import { addNoopJobs, BenchStoreAdmin, type DrainProgress, redisVersion } from './bench-store';
import { type BenchStore, storeBeside } from './bench-store-config';
import { CostCounter, type CountedCosts } from './cost-counter';
import { presignDeliveries } from './deliveries';
import { type LoadResult, OVERLOAD_CONNECTIONS, runLoad, sendDeliveries } from './load';

/** The whole run is stopped after this long, whatever happens. */
const HARD_LIMIT_MS = 30 * 60_000;
/** Pre-signed deliveries per second of load: above what the library ingests on a small machine. */
const DELIVERIES_PER_SECOND = 8000;
const NOOP_QUEUE = 'bench-noop';

const running = new Set<BenchProcess>();
let servers: BenchServers | undefined;

/** What every measurement uses: the admin of the stores, and the counter of the counted phases. */
interface BenchRun {
  admin: BenchStoreAdmin;
  counter: CostCounter;
}

/** A worker role: it reports `drained` once it has done `jobs` events. */
type WorkerRole = Extract<ChildRole, { jobs: number }>;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function start(role: ChildRole): Promise<{ process: BenchProcess; url?: string }> {
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

/**
 * Runs `phase` as a counted phase (see cost-counter.ts): autovacuum is left nothing to do from
 * earlier phases (see `BenchStoreAdmin.settleMaintenance`) and the admin's sessions are closed
 * first; `phase` must leave none open (its apps stopped).
 */
async function counted<T>(run: BenchRun, phase: () => Promise<T>): Promise<{ result: T; costs: Omit<CountedCosts, 'events'> }> {
  await run.admin.settleMaintenance(() => run.counter.sessionsEnded());
  return run.counter.count(phase);
}

/** Numbers deliveries across the run so that every product round sends events never seen before. */
class DeliverySource {
  private next = 0;

  constructor(private readonly tag: string) {}

  forSeconds(seconds: number) {
    const count = DELIVERIES_PER_SECOND * seconds;
    const first = this.next;
    this.next += count;
    return presignDeliveries(this.tag, first, count);
  }
}

/** The stores of one adapter's measurements, each with a schema and queue of its own. */
function storesOf(store: BenchStore) {
  return {
    /** The split deployment's: its timed rounds and the timed drains of their backlog. */
    main: store,
    /** The mode 'all' app's (counted): its relay and worker take only what it ingests. */
    all: storeBeside(store, 'all'),
    noop: storeBeside(store, 'noop'),
    /** The counted hand-written receiver's, and its worker's backlog. */
    handwritten: storeBeside(store, 'hand'),
    /** The counted library ingest's, and the counted library drain's backlog. */
    library: storeBeside(store, 'lib'),
    instrumented: storeBeside(store, 'instr'),
  };
}

type Stores = ReturnType<typeof storesOf>;

async function measureLoad(adapter: BenchAdapter, run: BenchRun, store: BenchStore, tag: string) {
  const bare = await start({ role: 'bare', adapter, store });
  const handwritten = await start({ role: 'handwritten', adapter, store });
  const product = await start({ role: 'product', adapter, store });
  const instrumented = await start({ role: 'product-instrumented', adapter, store });
  const source = new DeliverySource(tag);
  const bareDeliveries = presignDeliveries(`${tag}_bare`, 0, DELIVERIES_PER_SECOND * 2);
  const handwrittenSource = new DeliverySource(`${tag}_hand`);

  log(`${adapter}: warm-up`);
  await runLoad(bare.url!, bareDeliveries, BENCH.warmupSeconds);
  await runLoad(handwritten.url!, handwrittenSource.forSeconds(BENCH.warmupSeconds), BENCH.warmupSeconds);
  await runLoad(product.url!, source.forSeconds(BENCH.warmupSeconds), BENCH.warmupSeconds);
  await runLoad(instrumented.url!, source.forSeconds(BENCH.warmupSeconds), BENCH.warmupSeconds);

  const rounds: Record<'bare' | 'handwritten' | 'ingest' | 'ingestInstrumented', LoadResult[]> = {
    bare: [],
    handwritten: [],
    ingest: [],
    ingestInstrumented: [],
  };
  for (let round = 1; round <= BENCH.rounds; round++) {
    log(`${adapter}: round ${round}/${BENCH.rounds}, bare Nest`);
    rounds.bare.push(await runLoad(bare.url!, bareDeliveries, BENCH.durationSeconds));
    log(`${adapter}: round ${round}/${BENCH.rounds}, hand-written receiver`);
    rounds.handwritten.push(await runLoad(handwritten.url!, handwrittenSource.forSeconds(BENCH.durationSeconds), BENCH.durationSeconds));
    const deliveries = source.forSeconds(BENCH.durationSeconds);
    log(`${adapter}: round ${round}/${BENCH.rounds}, library ingest (split deployment)`);
    rounds.ingest.push(await runLoad(product.url!, deliveries, BENCH.durationSeconds));
    log(`${adapter}: round ${round}/${BENCH.rounds}, library ingest with metrics and tracing`);
    rounds.ingestInstrumented.push(await runLoad(instrumented.url!, source.forSeconds(BENCH.durationSeconds), BENCH.durationSeconds));
  }
  log(`${adapter}: library ingest under 2× overload`);
  const overload = await measureOverload(
    run.admin,
    store,
    product.url!,
    source,
    median(rounds.ingest.map((round) => round.requestsPerSecond)),
  );
  const peakRssMiB = { bare: await stop(bare.process), ingest: await stop(product.process) };
  await stop(handwritten.process);
  await stop(instrumented.process);
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
  const deliveries = source.forSeconds(BENCH.durationSeconds);
  const before = await admin.countStored(store.schema);
  const load = await runLoad(url, deliveries, BENCH.durationSeconds, offered);
  const stored = (await admin.countStored(store.schema)) - before;
  return { offeredPerSecond: offered.ratePerSecond, connections: offered.connections, load, stored };
}

/**
 * One process ingesting and working (mode 'all', what `npm start` runs) for one round, in a store of
 * its own; counted from its start to its stop, per event stored (its worker processes some of them meanwhile).
 */
async function measureModeAll(adapter: BenchAdapter, run: BenchRun, store: BenchStore, tag: string) {
  await run.admin.prepareStore(store, true);
  const deliveries = new DeliverySource(tag).forSeconds(BENCH.durationSeconds);
  const { result: round, costs } = await counted(run, async () => {
    const all = await start({ role: 'product-all', adapter, store });
    const result = await runLoad(all.url!, deliveries, BENCH.durationSeconds);
    await stop(all.process);
    return result;
  });
  const stored = await run.admin.countStored(store.schema);
  const processed = stored - (await run.admin.countUnfinished(store.schema));
  return { round, costs: { ...costs, events: stored, processed } };
}

/**
 * Counts an ingest app on `BENCH.drainEvents` deliveries of as many messages, each sent once, in a
 * fresh store: from its start to its stop, per event it stored. The stored events are the backlog
 * of the counted drain that follows.
 */
async function countIngest(
  run: BenchRun,
  role: 'handwritten' | 'product' | 'product-instrumented',
  adapter: BenchAdapter,
  store: BenchStore,
  tag: string,
): Promise<CountedCosts> {
  await run.admin.prepareStore(store, true);
  const deliveries = presignDeliveries(tag, 0, BENCH.drainEvents, 1);
  const { costs } = await counted(run, async () => {
    const app = await start({ role, adapter, store });
    await sendDeliveries(app.url!, deliveries);
    await stop(app.process);
  });
  const events = role === 'handwritten' ? await run.admin.countHandwrittenStored(store.schema) : await run.admin.countStored(store.schema);
  return { ...costs, events };
}

/** Starts a worker, waits until it reports its jobs done (at most the drain timeout), then stops it. */
async function runWorker(role: WorkerRole) {
  const worker = await start(role);
  const drained = role.jobs > 0 ? await worker.process.next('drained', BENCH.drainTimeoutSeconds * 1000).catch(() => undefined) : undefined;
  const rss = await stop(worker.process);
  return { drained, rss };
}

/** A stored backlog: the worker that drains it, and how far it got since a moment. */
interface Backlog {
  worker: WorkerRole;
  progress: (since: Date) => Promise<DrainProgress>;
}

/** The next `BENCH.drainEvents` unfinished events of a store (fewer if it has fewer), for the library's worker. */
async function libraryBacklog(run: BenchRun, store: BenchStore, instrumented = false): Promise<Backlog> {
  const jobs = Math.min(BENCH.drainEvents, await run.admin.countUnfinished(store.schema));
  return { worker: { role: 'worker', store, jobs, instrumented }, progress: (since) => run.admin.drainProgress(store.schema, since) };
}

/** Every row the hand-written receiver stored in a store, for the hand-written worker (each has its job). */
async function handwrittenBacklog(run: BenchRun, store: BenchStore): Promise<Backlog> {
  const jobs = await run.admin.countHandwrittenStored(store.schema);
  return {
    worker: { role: 'handwritten-worker', store, jobs },
    progress: (since) => run.admin.handwrittenDrainProgress(store.schema, since),
  };
}

/** A drain's rate from the `processed_at` of the rows it processed. */
function drainResultOf(progress: DrainProgress, target: number): DrainResult {
  const seconds = (progress.lastAt - progress.firstAt) / 1000;
  return { events: progress.processed, eventsPerSecond: (progress.processed - 1) / seconds, cutShort: progress.processed < target };
}

/** Times a worker over a backlog: the events it processed since it started, then stopped. */
async function measureDrain(run: BenchRun, backlog: Backlog): Promise<{ drain: DrainResult; rss: number }> {
  const since = await run.admin.now();
  const { rss } = await runWorker(backlog.worker);
  return { drain: drainResultOf(await backlog.progress(since), backlog.worker.jobs), rss };
}

/** {@link measureDrain}, counted; costs per event processed. */
async function measureCountedDrain(run: BenchRun, backlog: Backlog): Promise<CountedDrain> {
  const since = await run.admin.now();
  const { costs } = await counted(run, () => runWorker(backlog.worker));
  const drain = drainResultOf(await backlog.progress(since), backlog.worker.jobs);
  return { ...drain, costs: { ...costs, events: drain.events } };
}

async function measureNoopWorker(run: BenchRun, store: BenchStore): Promise<CountedDrain> {
  await run.admin.prepareStore(store, true);
  await addNoopJobs(NOOP_QUEUE, store, BENCH.drainEvents);
  const { result, costs } = await counted(run, () =>
    runWorker({ role: 'noop-worker', queueName: NOOP_QUEUE, store, jobs: BENCH.drainEvents }),
  );
  const drained = result.drained;
  if (!drained) throw new Error(`the no-op worker did not drain ${BENCH.drainEvents} jobs within ${BENCH.drainTimeoutSeconds} s`);
  return {
    events: drained.count,
    eventsPerSecond: (drained.count - 1) / ((drained.lastAt - drained.firstAt) / 1000),
    cutShort: false,
    costs: { ...costs, events: drained.count },
  };
}

/**
 * The counted comparison: the hand-written receiver and the library's ingest each store
 * `BENCH.drainEvents` deliveries of as many messages in a store of their own, then the hand-written
 * worker and the library's worker drain them; the instrumented ingest app is counted the same way.
 * Each store is dropped once measured: dead rows of no earlier phase are left (see `counted`).
 */
async function measureCounted(adapter: BenchAdapter, run: BenchRun, stores: Stores, tag: string) {
  log(`${adapter}: counted hand-written receiver, then the hand-written worker on its backlog`);
  const handwritten = await countIngest(run, 'handwritten', adapter, stores.handwritten, `${tag}_counted_hand`);
  const handwrittenWorker = await measureCountedDrain(run, await handwrittenBacklog(run, stores.handwritten));
  await run.admin.dropStore(stores.handwritten);
  log(`${adapter}: counted library ingest, then the library worker on its backlog`);
  const ingest = await countIngest(run, 'product', adapter, stores.library, `${tag}_counted`);
  const drainCounted = await measureCountedDrain(run, await libraryBacklog(run, stores.library));
  await run.admin.dropStore(stores.library);
  log(`${adapter}: counted library ingest with metrics and tracing`);
  const ingestInstrumented = await countIngest(run, 'product-instrumented', adapter, stores.instrumented, `${tag}_counted_instr`);
  await run.admin.dropStore(stores.instrumented);
  return { handwritten, ingest, ingestInstrumented, handwrittenWorker, drainCounted };
}

/**
 * Everything measured for one adapter and queue backend: first the timed rounds and drains on the
 * main store (autovacuum on, as in production), then, with it dropped, the counted phases.
 */
async function benchAdapter(adapter: BenchAdapter, queueBackend: BenchStore['queueBackend'], run: BenchRun): Promise<AdapterResult> {
  const tag = `${process.pid}_${adapter}_${queueBackend}`;
  const stores = storesOf({ schema: `bench_${tag}`, queuePrefix: `bench_${tag}`, queueBackend });
  await run.admin.prepareStore(stores.main);
  try {
    const load = await measureLoad(adapter, run, stores.main, tag);
    log(`${adapter}: library worker drain`);
    const { drain, rss } = await measureDrain(run, await libraryBacklog(run, stores.main));
    // NOTE: statistics taken now, with most rows still `received`, once made the claim's stale check
    // scan every processed row; the drain after ANALYZE shows whether plans still depend on them.
    await run.admin.analyze(stores.main.schema);
    log(`${adapter}: library worker drain after ANALYZE`);
    const { drain: drainAnalyzed } = await measureDrain(run, await libraryBacklog(run, stores.main));
    log(`${adapter}: library worker drain with metrics and tracing`);
    const { drain: drainInstrumented } = await measureDrain(run, await libraryBacklog(run, stores.main, true));
    await run.admin.dropStore(stores.main);
    log(`${adapter}: library ingest, mode 'all' (one process), counted`);
    const all = await measureModeAll(adapter, run, stores.all, `${tag}_all`);
    await run.admin.dropStore(stores.all);
    log(`${adapter}: no-op BullMQ worker, counted`);
    const noop = await measureNoopWorker(run, stores.noop);
    await run.admin.dropStore(stores.noop);
    const { handwrittenWorker, drainCounted, ...ingestCosts } = await measureCounted(adapter, run, stores, tag);
    return {
      adapter,
      queueBackend,
      ...load.rounds,
      ingestAll: [all.round],
      overload: load.overload,
      drain,
      drainAnalyzed,
      drainInstrumented,
      noop,
      drainCounted,
      handwrittenWorker,
      ingestCosts: { ...ingestCosts, ingestAll: all.costs },
      peakRssMiB: { ...load.peakRssMiB, worker: rss },
    };
  } finally {
    for (const used of Object.values(stores)) await run.admin.dropStore(used);
  }
}

async function main(): Promise<void> {
  const hardLimit = setTimeout(() => {
    log(`stopped after ${HARD_LIMIT_MS / 1000} s`);
    void shutdown(1);
  }, HARD_LIMIT_MS);
  hardLimit.unref();
  servers = await startBenchServers();
  log(servers.description);
  const admin = new BenchStoreAdmin();
  const counter = await CostCounter.connect(servers);
  const run: BenchRun = { admin, counter };
  try {
    const results: AdapterResult[] = [];
    for (const adapter of BENCH.adapters) results.push(await benchAdapter(adapter, 'redis', run));
    if (BENCH.postgresQueue) results.push(await benchAdapter(BENCH.adapters[0], 'postgres', run));
    const counting = { statements: counter.countsStatements, shared: servers.shared };
    process.stdout.write(`\n${renderResults(results, counting)}\n`);
    if (process.argv.includes('--write')) {
      const environment = {
        date: new Date().toISOString(),
        node: process.version,
        postgres: await admin.serverVersion(),
        redis: await redisVersion(),
        servers: servers.description,
      };
      writeFileSync(join(process.cwd(), 'BENCHMARKS.md'), renderBenchmarksFile(results, environment, counting));
      log('BENCHMARKS.md written');
    }
  } finally {
    running.forEach((child) => child.kill());
    await admin.close();
    await counter.close();
    await servers.stop();
  }
}

/** Kills the apps, stops the servers the bench started, exits. */
async function shutdown(code: number): Promise<never> {
  running.forEach((child) => child.kill());
  await servers?.stop();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void shutdown(130));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    return shutdown(1);
  },
);
