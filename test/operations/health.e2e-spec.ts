import { SmsEventQueries } from '../../libs/opensms-webhook/src/inbox/sms-event.queries';
import { Controller, type DynamicModule, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { type OpenSmsWebhookHealthThresholds, OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import type { DataSource } from 'typeorm';
import { acceptedIds, deliverAll, statusUpdates } from '../support/delivery';
import { deleteKeysWithPrefix } from '../support/redis-keys';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { useTestApp, waitFor } from '../support/test-app';
import { connectToSchema, TEST_DATABASE_URL, TEST_QUEUE_BACKEND, TEST_REDIS } from '../support/test-database';

/**
 * The host's health routes, as a host writes them: `GET /health` (everything) and
 * `GET /health/ready` (what this process needs now). The webhook module is global in these apps,
 * so this module of its own sees the inbox queries and the producer.
 */
function healthRoutes(thresholds: OpenSmsWebhookHealthThresholds): DynamicModule {
  @Controller('health')
  class HealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly opensms: OpenSmsWebhookHealthIndicator,
    ) {}

    @Get()
    @HealthCheck()
    check() {
      return this.health.check([() => this.opensms.isHealthy('opensms', thresholds)]);
    }

    @Get('ready')
    @HealthCheck()
    ready() {
      return this.health.check([() => this.opensms.isReady('opensms', thresholds)]);
    }

    @Get('live')
    @HealthCheck()
    live() {
      return this.health.check([() => this.opensms.isAlive('opensms')]);
    }
  }
  @Module({})
  class HealthRoutesModule {}
  return {
    module: HealthRoutesModule,
    imports: [TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController],
    providers: [OpenSmsWebhookHealthIndicator],
  };
}

async function getHealth(url: string): Promise<{ status: number; body: any; elapsedMs: number }> {
  const started = Date.now();
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), elapsedMs: Date.now() - started };
}

/** Where the test database listens. */
function databaseServer(): { host: string; port: number } {
  const database = new URL(TEST_DATABASE_URL);
  return { host: database.hostname, port: Number(database.port || 5432) };
}

/** A URL of the test database through a proxy. */
function databaseUrlThrough(proxy: TcpProxy): string {
  const database = new URL(TEST_DATABASE_URL);
  database.port = String(proxy.port);
  return database.toString();
}

describe('health: a worker process that keeps up', () => {
  const scope = useTestApp('health_ok', {
    extras: { isGlobal: true },
    options: { worker: { reconcileIntervalMs: 1000 } },
    imports: [healthRoutes({})],
  });

  it('answers 200 with the inbox, the queue, the backlog and the last reconciler sweep', async () => {
    const deliveries = await deliverAll(scope.endpoint, statusUpdates('health_ok', 3, 3));
    expect(acceptedIds(deliveries)).toHaveLength(3);
    let health = await getHealth(`${scope.url}/health`);
    await waitFor('processed events and a reconciler sweep', async () => {
      health = await getHealth(`${scope.url}/health`);
      const opensms = health.body.details.opensms;
      return opensms.backlog.unfinished === 0 && opensms.backlog.processing === 0 && opensms.reconciler.lastSweepAt !== null;
    });

    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      info: { opensms: health.body.details.opensms },
      error: {},
      details: {
        opensms: {
          status: 'up',
          mode: 'all',
          inbox: { status: 'up', responseTimeMs: expect.any(Number) },
          queue: { status: 'up', backend: TEST_QUEUE_BACKEND, paused: false, responseTimeMs: expect.any(Number) },
          backlog: {
            status: 'up',
            unfinished: 0,
            received: 0,
            failed: 0,
            processing: 0,
            dead: 0,
            oldestUnfinishedAge: null,
            oldestUnfinishedAgeSeconds: null,
            oldestUnfinishedReceivedAt: null,
            maxBacklog: 1000,
            maxOldestUnfinishedAge: '5 min',
            maxDead: null,
          },
          reconciler: {
            status: 'up',
            lastSweepAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            lastSweepAgo: expect.stringMatching(/^\d+ s$/),
            lastSweepRequeued: 0,
            maxSilence: '3 s',
          },
        },
      },
    });
    expect(Date.now() - Date.parse(health.body.details.opensms.reconciler.lastSweepAt)).toBeLessThan(5000);
    expect((await getHealth(`${scope.url}/health/ready`)).status).toBe(200);
  });
});

describe('health: an ingest-only process with no worker behind it', () => {
  const scope = useTestApp('health_backlog', {
    extras: { isGlobal: true, mode: 'ingest' },
    imports: [healthRoutes({ maxBacklog: 2, maxDead: 0 })],
  });
  let inbox: DataSource;

  beforeAll(async () => {
    inbox = await connectToSchema(scope.schema);
  });

  afterAll(async () => {
    await inbox?.destroy();
  });

  it('is ready, and reports the backlog over its threshold as down (503), naming it', async () => {
    const idle = await getHealth(`${scope.url}/health`);
    expect(idle.status).toBe(200);
    expect(idle.body.details.opensms.queue).toEqual({
      status: 'skipped',
      reason: "mode 'ingest': this process never connects to the queue",
    });
    expect(idle.body.details.opensms.reconciler.status).toBe('skipped');

    const deliveries = await deliverAll(scope.endpoint, statusUpdates('health_backlog', 3, 3));
    expect(acceptedIds(deliveries)).toHaveLength(3);

    // NOTE: the backlog's figures answer probes for up to a second, so the new events show within one.
    let backlogged = await getHealth(`${scope.url}/health`);
    await waitFor('the new events counted', async () => (backlogged = await getHealth(`${scope.url}/health`)).status === 503);
    expect(backlogged.body.status).toBe('error');
    expect(backlogged.body.info).toEqual({});
    const opensms = backlogged.body.error.opensms;
    expect(opensms.status).toBe('down');
    expect(opensms.problems).toEqual(['backlog: 3 unfinished events (received, processing or failed), more than 2']);
    expect(opensms.backlog).toMatchObject({ status: 'down', unfinished: 3, received: 3, failed: 0, dead: 0, maxBacklog: 2 });
    expect(opensms.backlog.oldestUnfinishedAge).toMatch(/^\d+ s$/);
    expect(opensms.backlog.oldestUnfinishedAgeSeconds).toEqual(expect.any(Number));
    expect(opensms.inbox.status).toBe('up');

    const ready = await getHealth(`${scope.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details.opensms).toEqual({
      status: 'up',
      mode: 'ingest',
      inbox: { status: 'up', responseTimeMs: expect.any(Number) },
      queue: { status: 'skipped', reason: "mode 'ingest': this process never connects to the queue" },
    });
  });

  it('reports dead letters over maxDead as degraded, still 200', async () => {
    await inbox.query(`UPDATE "opensms_webhook_event_states" SET "state" = 'dead'`);

    let health = await getHealth(`${scope.url}/health`);
    await waitFor('the dead events counted', async () => (health = await getHealth(`${scope.url}/health`)).body.status === 'degraded');

    expect(health.status).toBe(200);
    expect(health.body.details.opensms.status).toBe('degraded');
    expect(health.body.details.opensms.problems).toEqual(['dead letters: 3 dead events, more than 0; replay them once the cause is fixed']);
    expect(health.body.details.opensms.backlog).toMatchObject({ status: 'degraded', unfinished: 0, dead: 3, maxDead: 0 });
  });
});

describe('health: probes that arrive together', () => {
  const scope = useTestApp('health_burst', { imports: [healthRoutes({})] });

  it('50 concurrent probes all answer 200 and cost the inbox one backlog count per second, not one each', async () => {
    const queries = scope.app.get(SmsEventQueries);
    const counts = jest.spyOn(queries, 'countAndAgeByState');
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => getHealth(`${scope.url}/health`)));
    const elapsedMs = Date.now() - started;
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(counts.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(counts.mock.calls.length).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / 1000));
    counts.mockRestore();
  });
});

describe('health: an ingest-only process whose inbox database is unreachable', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(databaseServer());
  });
  const scope = useTestApp('health_inbox_down', () => ({
    extras: { isGlobal: true, mode: 'ingest' },
    databaseUrl: databaseUrlThrough(proxy),
    imports: [healthRoutes({ timeoutMs: 1000 })],
  }));

  afterAll(async () => {
    await proxy?.close();
  });

  it('reports not ready (503, the inbox down) within its timeout while cut or silent, and ready again after', async () => {
    expect((await getHealth(`${scope.url}/health/ready`)).status).toBe(200);

    for (const state of ['refusing', 'silent'] as const) {
      proxy.setState(state);
      const ready = await getHealth(`${scope.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.elapsedMs).toBeLessThan(3000);
      expect(ready.body.error.opensms).toMatchObject({ status: 'down', mode: 'ingest', inbox: { status: 'down' } });
      expect(ready.body.error.opensms.problems).toEqual([expect.stringMatching(/^inbox database: /)]);
      // NOTE: the kind of failure only, never the driver's text with the database's address.
      expect(ready.body.error.opensms.inbox.error).toBe(state === 'silent' ? 'no answer within 1000 ms' : 'connection refused');
      expect(JSON.stringify(ready.body)).not.toContain(String(proxy.port));
      expect((await getHealth(`${scope.url}/health/live`)).status).toBe(200);

      const health = await getHealth(`${scope.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.error.opensms.backlog).toEqual({ status: 'skipped', reason: 'the inbox database does not answer' });
      expect(health.body.error.opensms.problems).toEqual([expect.stringMatching(/^inbox database: /)]);
    }

    proxy.restore();
    await waitFor('ready again', async () => (await getHealth(`${scope.url}/health/ready`)).status === 200);
  });
});

describe('health: a worker process whose Redis is unreachable', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(TEST_REDIS);
  });
  // NOTE: on Redis whichever backend the run uses: BullMQ's PostgreSQL backend is not cut in these specs (see test-app.ts).
  const scope = useTestApp('health_queue_down', () => ({
    extras: { isGlobal: true },
    options: { queue: { backend: 'redis', connection: { host: '127.0.0.1', port: proxy.port } } },
    imports: [healthRoutes({ timeoutMs: 1000 })],
  }));

  afterAll(async () => {
    await proxy?.close();
    await deleteKeysWithPrefix(TEST_REDIS, scope.schema);
  });

  it('reports the queue down (503) while its proxy is closed, and up again after', async () => {
    expect((await getHealth(`${scope.url}/health/ready`)).status).toBe(200);

    proxy.cut();
    const ready = await getHealth(`${scope.url}/health/ready`);

    expect(ready.status).toBe(503);
    expect(ready.elapsedMs).toBeLessThan(3000);
    const opensms = ready.body.error.opensms;
    expect(opensms).toMatchObject({ status: 'down', mode: 'all', inbox: { status: 'up' }, queue: { status: 'down', backend: 'redis' } });
    expect(opensms.problems).toEqual([expect.stringMatching(/^queue \(redis\): /)]);

    proxy.restore();
    await waitFor('the queue up again', async () => (await getHealth(`${scope.url}/health/ready`)).status === 200);
  });
});
