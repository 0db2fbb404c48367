/**
 * `npm run bench:health`: health probes on an inbox of a million events, beside webhook traffic.
 *
 * Fills the inbox of a schema of its own with 1,000,000 finished events (see inbox-fill.ts), starts a
 * host app (mode `all`, Express, `GET /health` through `@nestjs/terminus` and
 * `OpenSmsWebhookHealthIndicator.isHealthy()`) in a process of its own, then offers the same webhook
 * load twice: alone, and with 50 clients probing `/health` back to back. Prints the webhook latency of
 * both rounds and the probes' answers: every one should be `200` (the inbox is healthy), none a false
 * `503 down`. `HEALTH_BENCH_ROWS`, `HEALTH_BENCH_RATE` (webhook calls per second) and `BENCH_DURATION`
 * (seconds per round) change the sizes. Drops the schema and the queue's keys at the end.
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OPENSMS_WEBHOOK_MIGRATIONS, OpenSmsWebhookModule } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { OPENSMS_WEBHOOK_ENTITIES } from '../libs/opensms-webhook/src/inbox/sms-event.tables';
import { HealthController } from '../src/health/health.controller';
import { BENCH } from './bench.config';
import { clearRedisPrefix } from './bench-store';
import { presignDeliveries } from './deliveries';
import { FINISHED_STATES, fillInbox } from './inbox-fill';
import { type LoadResult, runLoad } from './load';

const ROWS = Number(process.env.HEALTH_BENCH_ROWS ?? 1_000_000);
/** Webhook calls offered per second in both rounds: a steady load the app carries, not its limit. */
const RATE = Number(process.env.HEALTH_BENCH_RATE ?? 200);
/** Clients probing `/health`, each sending its next probe as soon as the last was answered. */
const PROBES = 50;
const SECONDS = BENCH.durationSeconds;

/** Where the app under test keeps its inbox and jobs. */
interface HealthBenchStore {
  schema: string;
  queuePrefix: string;
}

/** The app under test, in the child process: the library with its defaults, and the example app's health routes. */
async function runApp(store: HealthBenchStore): Promise<void> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: BENCH.databaseUrl,
        schema: store.schema,
        autoLoadEntities: true,
        extra: { max: BENCH.poolSize },
        retryAttempts: 0,
      }),
      OpenSmsWebhookModule.forRoot({ secret: BENCH.secret, queue: { connection: BENCH.redis, prefix: store.queuePrefix } }),
      TerminusModule.forRoot({ logger: false }),
    ],
    controllers: [HealthController],
    providers: [OpenSmsWebhookHealthIndicator],
  })
  class HealthBenchModule {}

  const app = await NestFactory.create(HealthBenchModule, { rawBody: true, logger: BENCH.logLevels });
  app.enableShutdownHooks();
  const server = app.getHttpServer() as Server;
  Object.assign(server, { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 });
  await app.listen(0, '127.0.0.1');
  process.send?.({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1') });
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
}

/** `PROBES` clients on `GET /health` for `SECONDS`: the answers by status and their latency. */
async function probe(url: string): Promise<{ total: number; statuses: Record<string, number>; p99: number; max: number }> {
  const result = await autocannon({ url: `${url}/health`, connections: PROBES, duration: SECONDS });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count]));
  if (result.errors + result.timeouts > 0) statuses['no answer'] = result.errors + result.timeouts;
  return { total: result.requests.total, statuses, p99: result.latency.p99, max: result.latency.max };
}

async function main(): Promise<void> {
  const store: HealthBenchStore = { schema: `health_bench_${process.pid}`, queuePrefix: `health_bench_${process.pid}` };
  const admin = new DataSource({ type: 'postgres', url: BENCH.databaseUrl });
  await admin.initialize();
  await admin.query(`CREATE SCHEMA "${store.schema}"`);
  const inbox = new DataSource({
    type: 'postgres',
    url: BENCH.databaseUrl,
    schema: store.schema,
    entities: OPENSMS_WEBHOOK_ENTITIES,
    migrations: OPENSMS_WEBHOOK_MIGRATIONS,
    extra: { max: 1, options: `-c search_path="${store.schema}"` },
  });
  const child = fork(__filename, [], { env: { ...process.env, HEALTH_BENCH_APP: JSON.stringify(store) } });
  try {
    await inbox.initialize();
    await inbox.runMigrations();
    const filled = Date.now();
    await fillInbox(inbox, store.schema, ROWS, FINISHED_STATES);
    console.log(`Filled ${ROWS.toLocaleString('en')} finished events in ${((Date.now() - filled) / 1000).toFixed(1)} s`);

    child.send('start');
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message: { url: string }) => resolve(message.url));
      child.once('exit', (code) => reject(new Error(`the app exited with code ${code} before it listened`)));
    });
    const calls = RATE * SECONDS;
    const deliveries = presignDeliveries(`health_${process.pid}`, 0, 2 * calls + RATE * 2, 1);
    const offered = { ratePerSecond: RATE, connections: BENCH.connections };
    await runLoad(url, deliveries.slice(2 * calls), 2, offered);

    const alone = await runLoad(url, deliveries.slice(0, calls), SECONDS, offered);
    const [probed, probes] = await Promise.all([runLoad(url, deliveries.slice(calls, 2 * calls), SECONDS, offered), probe(url)]);

    const row = (name: string, load: LoadResult) =>
      `  ${name.padEnd(28)} ${load.requestsPerSecond.toFixed(0).padStart(5)}/s  p50 ${String(load.p50).padStart(4)} ms  p99 ${String(load.p99).padStart(4)} ms  non-2xx ${load.non2xx}, errors ${load.errors}`;
    console.log(`\nWebhook calls offered at ${RATE}/s for ${SECONDS} s, inbox of ${ROWS.toLocaleString('en')} events:`);
    console.log(row('alone', alone));
    console.log(row(`with ${PROBES} probe clients`, probed));
    const statuses = Object.entries(probes.statuses)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    console.log(
      `\nGET /health by ${PROBES} clients: ${probes.total} answers (${(probes.total / SECONDS).toFixed(0)}/s; ${statuses}), p99 ${probes.p99} ms, max ${probes.max} ms`,
    );
    const falseDown = probes.total - (probes.statuses['200'] ?? 0);
    console.log(`False "down" answers: ${falseDown} (target 0): ${falseDown === 0 ? 'met' : 'MISSED'}`);
    console.log(`Webhook p99 with probes / alone: ${(probed.p99 / Math.max(alone.p99, 1)).toFixed(2)}×`);
  } finally {
    child.disconnect();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    if (inbox.isInitialized) await inbox.destroy();
    await admin.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    await admin.destroy();
    await clearRedisPrefix(store.queuePrefix);
  }
}

const appStore = process.env.HEALTH_BENCH_APP;
if (appStore) {
  process.once('message', () => void runApp(JSON.parse(appStore) as HealthBenchStore));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
