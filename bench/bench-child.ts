import { Worker } from 'bullmq';
import { type HttpAppKind, startHttpApp, startWorkerApp } from './bench-apps';
import { BENCH, type BenchAdapter } from './bench.config';
import { type BenchStore, bullOptionsOf } from './bench-store-config';
import { DeliveryStatusHandler } from './delivery-status.handler';
import { startHandwrittenWorker } from './handwritten-worker';
import { registerTracing } from './instrumentation';

/** What the orchestrator asks a child process to run; a worker reports `drained` after `jobs` events. */
export type ChildRole =
  | { role: HttpAppKind; adapter: BenchAdapter; store: BenchStore }
  | { role: 'worker'; store: BenchStore; jobs: number; instrumented?: boolean }
  | { role: 'handwritten-worker'; store: BenchStore; jobs: number }
  | { role: 'noop-worker'; store: BenchStore; queueName: string; jobs: number };

/** Messages a child sends to the orchestrator. */
export type ChildMessage = { type: 'ready'; url?: string } | { type: 'drained'; count: number; firstAt: number; lastAt: number };

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** The returned function, called once per event done, sends `drained` at the `jobs`-th call. */
function drainReporter(jobs: number): () => void {
  let count = 0;
  let firstAt = 0;
  return () => {
    const now = Date.now();
    if (count === 0) firstAt = now;
    count++;
    if (count === jobs) send({ type: 'drained', count, firstAt, lastAt: now });
  };
}

/** A BullMQ worker that does nothing per job: the cost of the queue itself. */
function startNoopWorker(role: Extract<ChildRole, { role: 'noop-worker' }>): Worker {
  const { options, backend } = bullOptionsOf(role.store);
  const worker = new Worker(role.queueName, async () => undefined, { ...options, concurrency: BENCH.concurrency }, backend);
  worker.on('completed', drainReporter(role.jobs));
  return worker;
}

/** Starts what `role` names; resolves to how to close it and the URL of an HTTP app. */
async function startRole(role: ChildRole): Promise<{ close: () => Promise<unknown>; url?: string }> {
  switch (role.role) {
    case 'noop-worker': {
      const worker = startNoopWorker(role);
      return { close: () => worker.close() };
    }
    case 'handwritten-worker': {
      const { worker, close } = startHandwrittenWorker(role.store);
      worker.on('completed', drainReporter(role.jobs));
      return { close };
    }
    case 'worker': {
      const app = await startWorkerApp(role.store, role.instrumented);
      app.get(DeliveryStatusHandler).onHandled(drainReporter(role.jobs));
      return { close: () => app.close() };
    }
    default: {
      const { app, url } = await startHttpApp(role.role, role.adapter, role.store);
      return { close: () => app.close(), url };
    }
  }
}

async function main(): Promise<void> {
  const role = JSON.parse(process.env.BENCH_CHILD ?? '{}') as ChildRole;
  if (role.role === 'product-instrumented' || (role.role === 'worker' && role.instrumented)) registerTracing();
  const { close, url } = await startRole(role);
  send({ type: 'ready', url });
  process.on('message', (message) => {
    if (message === 'stop') void close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
