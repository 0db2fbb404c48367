import { Controller, HttpCode, HttpStatus, type INestApplicationContext, Module, Post, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OPENSMS_WEBHOOK_MIGRATIONS, OpenSmsWebhookModule, type OpenSmsWebhookMode } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/metrics';
import { Registry } from 'prom-client';
import type { DataSourceOptions } from 'typeorm';
import { BENCH, type BenchAdapter } from './bench.config';
import { BenchMessage, BenchMessageEvent } from './bench-message.entity';
import { type BenchStore, queueOptionsOf } from './bench-store-config';
import { DeliveryStatusHandler } from './delivery-status.handler';
import { handwrittenAppModule } from './handwritten-receiver.app';

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

/** The host app's TypeORM options on a store: the bench's entities and the library's migrations. */
export function hostDatabaseOptions(store: BenchStore): DataSourceOptions {
  return {
    type: 'postgres',
    url: BENCH.databaseUrl,
    schema: store.schema,
    entities: [BenchMessage, BenchMessageEvent],
    migrations: OPENSMS_WEBHOOK_MIGRATIONS,
    extra: { max: BENCH.poolSize },
  };
}

/**
 * A host application using the library, configured as a production user would; `instrumented`
 * adds the Prometheus metrics (the process registers an OpenTelemetry SDK, see instrumentation.ts).
 */
function hostAppModule(store: BenchStore, mode: OpenSmsWebhookMode, instrumented = false): Type<unknown> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...hostDatabaseOptions(store), autoLoadEntities: true, migrationsRun: true, retryAttempts: 0 }),
      OpenSmsWebhookModule.forRoot({
        secret: BENCH.secret,
        queue: queueOptionsOf(store),
        worker: { concurrency: BENCH.concurrency },
        ...(BENCH.maxEventLoopDelayMs !== undefined && { ingest: { maxEventLoopDelayMs: BENCH.maxEventLoopDelayMs } }),
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
