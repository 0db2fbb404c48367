import type { INestApplicationContext } from '@nestjs/common';
import { Worker } from 'bullmq';
import { bullOptionsOf, type HttpAppKind, startHttpApp, startWorkerApp, type BenchStore } from './bench-apps';
import { BENCH, type BenchAdapter } from './bench.config';
import { registerTracing } from './instrumentation';

/** What the orchestrator asks a child process to run. */
export type ChildRole =
  | { role: HttpAppKind; adapter: BenchAdapter; store: BenchStore }
  | { role: 'worker'; store: BenchStore; instrumented?: boolean }
  | { role: 'noop-worker'; store: BenchStore; queueName: string; jobs: number };

/** Messages a child sends to the orchestrator. */
export type ChildMessage = { type: 'ready'; url?: string } | { type: 'drained'; count: number; firstAt: number; lastAt: number };

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** A BullMQ worker that does nothing per job: the cost of the queue itself. */
function startNoopWorker(role: Extract<ChildRole, { role: 'noop-worker' }>): Worker {
  const { options, backend } = bullOptionsOf(role.store);
  const worker = new Worker(role.queueName, async () => undefined, { ...options, concurrency: BENCH.concurrency }, backend);
  let count = 0;
  let firstAt = 0;
  worker.on('completed', () => {
    const now = Date.now();
    if (count === 0) firstAt = now;
    count++;
    if (count === role.jobs) send({ type: 'drained', count, firstAt, lastAt: now });
  });
  return worker;
}

async function main(): Promise<void> {
  const role = JSON.parse(process.env.BENCH_CHILD ?? '{}') as ChildRole;
  if (role.role === 'product-instrumented' || (role.role === 'worker' && role.instrumented)) registerTracing();
  let close: () => Promise<unknown>;
  if (role.role === 'noop-worker') {
    const worker = startNoopWorker(role);
    close = () => worker.close();
    send({ type: 'ready' });
  } else if (role.role === 'worker') {
    const app: INestApplicationContext = await startWorkerApp(role.store, role.instrumented);
    close = () => app.close();
    send({ type: 'ready' });
  } else {
    const { app, url } = await startHttpApp(role.role, role.adapter, role.store);
    close = () => app.close();
    send({ type: 'ready', url });
  }
  process.on('message', (message) => {
    if (message === 'stop') void close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
