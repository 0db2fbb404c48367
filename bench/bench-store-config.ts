import { createPostgresBackend } from 'bullmq';
import type { OpenSmsWebhookQueueOptions } from '@opensms/nestjs-webhooks';
import { BENCH } from './bench.config';

/** Where a host app keeps its rows and jobs. */
export interface BenchStore {
  schema: string;
  queuePrefix: string;
  /** BullMQ backend: Redis, or PostgreSQL (the jobs in schema `queueSchemaOf(store)` of the same database). */
  queueBackend: 'redis' | 'postgres';
}

/** Schema of the jobs of a store on the PostgreSQL queue backend. */
export function queueSchemaOf(store: Pick<BenchStore, 'schema'>): string {
  return `${store.schema}_queue`;
}

/** A store beside `store`, with a schema and queue prefix of its own (`name` appended to both). */
export function storeBeside(store: BenchStore, name: string): BenchStore {
  return { ...store, schema: `${store.schema}_${name}`, queuePrefix: `${store.queuePrefix}_${name}` };
}

/** Options and backend of a plain BullMQ `Queue` / `Worker` on a store (the hand-written and no-op baselines). */
export function bullOptionsOf(store: BenchStore): { options: { connection: never; prefix?: string }; backend?: never } {
  return store.queueBackend === 'postgres'
    ? {
        options: { connection: { connectionString: BENCH.databaseUrl, schema: queueSchemaOf(store), migrate: true } as never },
        backend: createPostgresBackend as never,
      }
    : { options: { connection: { ...BENCH.redis, maxRetriesPerRequest: null } as never, prefix: store.queuePrefix } };
}

/** BullMQ connection of a store's queues (Redis options, or a PostgreSQL backend config). */
export function queueOptionsOf(store: BenchStore): OpenSmsWebhookQueueOptions {
  return store.queueBackend === 'postgres'
    ? { backend: 'postgres', prefix: store.queuePrefix, postgres: { connectionString: BENCH.databaseUrl, schema: queueSchemaOf(store) } }
    : { backend: 'redis', prefix: store.queuePrefix, connection: BENCH.redis };
}
