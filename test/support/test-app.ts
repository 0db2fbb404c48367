import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, type INestApplication, type LoggerService, Module, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  OPENSMS_WEBHOOK_MIGRATIONS,
  OpenSmsWebhookModule,
  type OpenSmsWebhookModuleExtras,
  type OpenSmsWebhookModuleOptions,
} from '@opensms/nestjs-webhooks';
import { createPostgresBackend, Queue } from 'bullmq';
import { deleteKeysWithPrefix } from './redis-keys';
import { createSchema, dropSchema, queueSchemaOf, TEST_DATABASE_URL, TEST_QUEUE_BACKEND, TEST_REDIS, uniqueName } from './test-database';

export type HttpAdapterName = 'express' | 'fastify';

export const TEST_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface TestAppOptions {
  /** Schema of this test file (see createSchema). */
  schema: string;
  /** BullMQ prefix of this test file. */
  queuePrefix: string;
  adapter?: HttpAdapterName;
  /** Keep the HTTP server's own timeouts (Node.js's, Fastify's) instead of the bounded ones a host should set. */
  serverDefaults?: boolean;
  /** Trust the proxy's `X-Forwarded-*` headers (Express's `trust proxy`, Fastify's `trustProxy`). */
  trustProxy?: boolean;
  /** Middleware the host adds to the Express instance itself, before Nest's own (Express only). */
  expressMiddleware?: (request: IncomingMessage, response: ServerResponse, next: () => void) => void;
  /** Build the module with forRootAsync (through a factory) instead of forRoot. */
  registration?: 'forRoot' | 'forRootAsync';
  options?: Partial<OpenSmsWebhookModuleOptions>;
  extras?: Partial<OpenSmsWebhookModuleExtras>;
  /** Host modules imported next to the library's (e.g. the host's own BullMQ set-up, the console), providers (handlers) and entities. */
  imports?: DynamicModule[];
  providers?: Provider[];
  entities?: Type<unknown>[];
  /** Host migrations, run after the library's. */
  migrations?: Type<unknown>[];
  /** TypeORM's `synchronize` (after the migrations, as TypeORM runs them). Default false. */
  synchronize?: boolean;
  /** TypeORM's `autoLoadEntities`: false leaves the library's entities out unless `entities` lists them. Default true. */
  autoLoadEntities?: boolean;
  rawBody?: boolean;
  /** Receives the app's logs (default: errors only, or everything with TEST_LOGS=1). */
  logger?: LoggerService;
  /** TypeORM pool size. */
  poolSize?: number;
  /** Overrides the database URL (e.g. through a proxy). */
  databaseUrl?: string;
}

/**
 * Library options every test starts from (each group of `app.options` merged over them): fast
 * retries, no reconciler or retention timer, a generous event-loop bound, and the queue backend of this run (`TEST_QUEUE_BACKEND`), on the app's database with a schema of its prefix.
 */
export function testModuleOptions(app: TestAppOptions): OpenSmsWebhookModuleOptions {
  const given = app.options ?? {};
  return {
    secret: TEST_SECRET,
    ...given,
    queue: {
      // NOTE: a cluster takes the place of the connection (the module refuses both).
      ...(given.queue?.cluster ? {} : { connection: { ...TEST_REDIS } }),
      ...(TEST_QUEUE_BACKEND === 'postgres'
        ? {
            backend: 'postgres' as const,
            // NOTE: the jobs on the test server itself, also when the inbox goes through a fault proxy
            // (`databaseUrl`): the fault specs cut the inbox database, as they do on Redis.
            postgres: { connectionString: TEST_DATABASE_URL, schema: queueSchemaOf(app.queuePrefix) },
          }
        : {}),
      prefix: app.queuePrefix,
      ...given.queue,
    },
    // NOTE: a spec's client and Jest run on the app's own event loop, on a machine shared with other runs: a bound far
    // above their stalls, so that only the specs about it see calls refused for a late loop.
    // The inbox wait is left to maxPendingCalls and storeTimeoutMs, as the specs of those expect; the overload spec sets it.
    ingest: { maxEventLoopDelayMs: 2000, maxInboxWaitMs: 0, ...given.ingest },
    job: { backoff: { type: 'fixed', delay: 50 }, ...given.job },
    worker: { reconcileIntervalMs: 0, shutdownGraceMs: 2000, ...given.worker },
    // NOTE: no timer prunes during a test; `prune(days)` still prunes when a test calls it.
    retention: { days: 0, ...given.retention },
  };
}

function webhookModule(app: TestAppOptions): DynamicModule {
  const options = testModuleOptions(app);
  return app.registration === 'forRootAsync'
    ? OpenSmsWebhookModule.forRootAsync({ ...app.extras, useFactory: async () => options })
    : OpenSmsWebhookModule.forRoot({ ...options, ...app.extras });
}

/** The root module of a test host application. */
export function testRootModule(app: TestAppOptions): Type<unknown> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: app.databaseUrl ?? TEST_DATABASE_URL,
        schema: app.schema,
        entities: app.entities ?? [],
        autoLoadEntities: app.autoLoadEntities ?? true,
        migrations: [...OPENSMS_WEBHOOK_MIGRATIONS, ...(app.migrations ?? [])],
        migrationsRun: true,
        synchronize: app.synchronize ?? false,
        extra: { max: app.poolSize ?? 20, connectionTimeoutMillis: 2000 },
        retryAttempts: 0,
      }),
      webhookModule(app),
      ...(app.imports ?? []),
    ],
    providers: app.providers ?? [],
  })
  class TestRootModule {}
  return TestRootModule;
}

/** Starts a host application on a random port. Close it with `app.close()`. */
export async function startTestApp(options: TestAppOptions): Promise<{ app: INestApplication; url: string }> {
  const bounded = !options.serverDefaults;
  // NOTE: the timeouts a webhook host should set (docs/http-contract.md), so that the apps start without the module's warning about them.
  const trustProxy = options.trustProxy ?? false;
  const adapter =
    options.adapter === 'fastify'
      ? new FastifyAdapter({
          trustProxy,
          ...(bounded ? { requestTimeout: 30_000, keepAliveTimeout: 5000, http: { headersTimeout: 10_000 } } : {}),
        })
      : new ExpressAdapter();
  if (adapter instanceof ExpressAdapter)
    (adapter.getInstance() as { set(setting: string, value: unknown): void }).set('trust proxy', trustProxy);
  if (options.expressMiddleware) (adapter.getInstance() as { use(middleware: unknown): void }).use(options.expressMiddleware);
  const app = await NestFactory.create(testRootModule(options), adapter, {
    rawBody: options.rawBody ?? true,
    logger: options.logger ?? (process.env.TEST_LOGS ? undefined : ['error']),
    abortOnError: false,
  });
  if (bounded && options.adapter !== 'fastify') Object.assign(app.getHttpServer(), { requestTimeout: 30_000, headersTimeout: 10_000 });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

/** A test app of one `describe` block, on a schema and a queue prefix of its own. */
export interface TestAppScope {
  readonly schema: string;
  readonly app: INestApplication;
  /** The app's base URL. */
  readonly url: string;
  /** URL of the webhook route (default path). */
  readonly endpoint: string;
}

/**
 * Declares `beforeAll`/`afterAll` that create a fresh schema, start a test app on it with its own
 * queue prefix, and remove all of it afterwards. `options` may be a function, called in
 * `beforeAll`, when it depends on something an earlier `beforeAll` started.
 */
export function useTestApp(label: string, options: AppOptionsOfScope | (() => AppOptionsOfScope) = {}): TestAppScope {
  const schema = uniqueName(label);
  let started: { app: INestApplication; url: string } | undefined;

  beforeAll(async () => {
    await createSchema(schema);
    started = await startTestApp({ ...(typeof options === 'function' ? options() : options), schema, queuePrefix: schema });
  });

  afterAll(async () => {
    await started?.app.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  const running = () => {
    if (!started) throw new Error(`The test app "${label}" is not started yet (use it inside a test)`);
    return started;
  };
  return {
    schema,
    get app() {
      return running().app;
    },
    get url() {
      return running().url;
    },
    get endpoint() {
      return `${running().url}/webhooks/sms`;
    },
  };
}

type AppOptionsOfScope = Omit<TestAppOptions, 'schema' | 'queuePrefix'>;

/** Deletes the jobs of a queue prefix: its keys on the shared Redis, or its PostgreSQL queue schema. */
export async function clearQueuePrefix(prefix: string): Promise<void> {
  if (TEST_QUEUE_BACKEND === 'postgres') await dropSchema(queueSchemaOf(prefix));
  else await deleteKeysWithPrefix(TEST_REDIS, prefix);
}

/** A BullMQ queue of a test app (same backend, prefix and schema), to look at its jobs. Close it. */
export function openTestQueue(name: string, queuePrefix: string): Queue {
  return TEST_QUEUE_BACKEND === 'postgres'
    ? new Queue(
        name,
        { connection: { connectionString: TEST_DATABASE_URL, schema: queueSchemaOf(queuePrefix), migrate: true } as never },
        createPostgresBackend as never,
      )
    : new Queue(name, { connection: { ...TEST_REDIS }, prefix: queuePrefix });
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
