import { Controller, HttpCode, HttpStatus, type INestApplicationContext, Module, Post, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OPENSMS_WEBHOOK_MIGRATIONS, OpenSmsWebhookModule, type OpenSmsWebhookMode } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/prometheus';
import { createPostgresBackend } from 'bullmq';
import { Registry } from 'prom-client';
import { BENCH, type BenchAdapter } from './bench.config';
import { BenchMessage } from './bench-message.entity';
import { DeliveryStatusHandler } from './delivery-status.handler';
import { handwrittenAppModule } from './handwritten-receiver.app';

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

/** Options and backend of a plain BullMQ `Queue` / `Worker` on a store (for the no-op baseline). */
export function bullOptionsOf(store: BenchStore): { options: { connection: never; prefix?: string }; backend?: never } {
  return store.queueBackend === 'postgres'
    ? {
        options: { connection: { connectionString: BENCH.databaseUrl, schema: queueSchemaOf(store), migrate: true } as never },
        backend: createPostgresBackend as never,
      }
    : { options: { connection: { ...BENCH.redis, maxRetriesPerRequest: null } as never, prefix: store.queuePrefix } };
}

/** BullMQ connection of a store's queues (Redis options, or a PostgreSQL backend config). */
export function queueConnectionOf(
  store: BenchStore,
): { redis: typeof BENCH.redis } | { postgresQueue: { connectionString: string; schema: string } } {
  return store.queueBackend === 'postgres'
    ? { postgresQueue: { connectionString: BENCH.databaseUrl, schema: queueSchemaOf(store) } }
    : { redis: BENCH.redis };
}

/** The framework limit: the same route answering 200 with a receipt-shaped body, doing nothing else. */
@Controller(BENCH.path.slice(1))
class BareWebhookController {
  @Post()
  @HttpCode(HttpStatus.OK)
  receive(): { status: 'received'; id: string; duplicate: boolean } {
    return { status: 'received', id: '00000000-0000-0000-0000-000000000000', duplicate: false };
  }
}

@Module({ controllers: [BareWebhookController] })
class BareAppModule {}

/**
 * A host application using the library, configured as a production user would; `instrumented`
 * adds the Prometheus metrics (the process registers an OpenTelemetry SDK, see instrumentation.ts).
 */
function hostAppModule(store: BenchStore, mode: OpenSmsWebhookMode, instrumented = false): Type<unknown> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: BENCH.databaseUrl,
        schema: store.schema,
        entities: [BenchMessage],
        autoLoadEntities: true,
        migrations: OPENSMS_WEBHOOK_MIGRATIONS,
        migrationsRun: true,
        extra: { max: BENCH.poolSize },
        retryAttempts: 0,
      }),
      OpenSmsWebhookModule.forRoot({
        secret: BENCH.secret,
        redis: BENCH.redis,
        queueBackend: store.queueBackend,
        ...queueConnectionOf(store),
        queuePrefix: store.queuePrefix,
        concurrency: BENCH.concurrency,
        mode,
      }),
      ...(instrumented ? [OpenSmsWebhookMetricsModule.forRoot({ registry: new Registry() })] : []),
    ],
    providers: [DeliveryStatusHandler],
  })
  class BenchHostModule {}
  return BenchHostModule;
}

function httpAdapter(adapter: BenchAdapter): ExpressAdapter | FastifyAdapter {
  return adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
}

/**
 * HTTP apps of the benchmark: bare Nest, the hand-written receiver, the library split (`ingest`;
 * also with metrics and tracing) or in one process (`all`).
 */
export type HttpAppKind = 'bare' | 'handwritten' | 'product' | 'product-instrumented' | 'product-all';

/** Starts an HTTP app on a free port; returns it and its URL. */
export async function startHttpApp(
  kind: HttpAppKind,
  adapter: BenchAdapter,
  store: BenchStore,
): Promise<{ app: INestApplicationContext; url: string }> {
  const modules: Record<HttpAppKind, () => Type<unknown>> = {
    bare: () => BareAppModule,
    handwritten: () => handwrittenAppModule(store),
    product: () => hostAppModule(store, 'ingest'),
    'product-instrumented': () => hostAppModule(store, 'ingest', true),
    'product-all': () => hostAppModule(store, 'all'),
  };
  const module = modules[kind]();
  const app = await NestFactory.create(module, httpAdapter(adapter), { rawBody: true, logger: BENCH.logLevels });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** Starts the library's worker alone (`worker` mode), which begins draining the stored backlog at once. */
export async function startWorkerApp(store: BenchStore, instrumented = false): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(hostAppModule(store, 'worker', instrumented), { logger: BENCH.logLevels });
  await app.init();
  return app;
}
