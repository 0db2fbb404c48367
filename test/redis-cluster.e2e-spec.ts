import { TerminusModule } from '@nestjs/terminus';
import { InvalidModuleOptionsError, OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import { DataSource } from 'typeorm';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { captureCliOutput, closedPort } from './support/cli-process';
import { LogCapture } from './support/log-capture';
import { RedisClusterProcess } from './support/redis-cluster';
import { startTestApp, useTestApp, waitFor } from './support/test-app';
import { TEST_DATABASE_URL } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** The prefix a host gives on a cluster: a hash tag, so that every key of the queue is in one slot. */
const PREFIX = '{opensms}';

describe('the queue on a Redis Cluster (three primaries)', () => {
  let cluster: RedisClusterProcess;

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
  });

  const host = useTestApp('redis_cluster', () => ({
    providers: [RecordingConsumer, OpenSmsWebhookHealthIndicator],
    imports: [TerminusModule.forRoot({ logger: false })],
    options: { queue: { cluster: { nodes: cluster.nodes }, prefix: PREFIX } },
  }));

  // NOTE: declared after the app, so that the app has closed before its cluster goes away.
  afterAll(async () => {
    await cluster?.stop();
  });

  const service = () => host.app.get(OpenSmsWebhookService);
  const consumer = () => host.app.get(RecordingConsumer);
  const health = () => host.app.get(OpenSmsWebhookHealthIndicator);
  const cli = async (...args: string[]) => {
    const output = captureCliOutput();
    const node = `redis://127.0.0.1:${cluster.nodes[1].port}`;
    const code = await runCli([...args, '--redis-url', node, '--redis-cluster', '--queue-prefix', PREFIX], output, {});
    return { code, lines: output.lines };
  };
  const processed = (ids: readonly string[]) => async () =>
    (await Promise.all(ids.map((id) => service().findById(id)))).every((row) => row?.state === 'processed');

  it('processes signed calls end to end, each handler once, and reports the queue up', async () => {
    const payloads = [1, 2, 3, 4, 5, 6].map((n) =>
      smsPayload({ event: n % 2 ? 'sms.delivered' : 'sms.failed', message_id: `msg_cluster_${n}`, ...(n % 2 ? {} : { error: 'x' }) }),
    );
    const responses = await Promise.all(payloads.map((payload) => postSigned(host.endpoint, payload)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const again = await postSigned(host.endpoint, payloads[0]);
    expect(again.body).toMatchObject({ id: responses[0].body.id, duplicate: true });

    const ids: string[] = responses.map((response) => response.body.id);
    await waitFor('the events to be processed on the cluster', processed(ids));
    for (const [index, id] of ids.entries()) {
      const handlers = consumer()
        .calls.filter((call) => call.context.eventId === id)
        .map((call) => call.handler)
        .sort();
      expect(handlers).toEqual(index % 2 ? ['*', 'failed'] : ['*', 'delivered']);
    }

    expect(await health().isReady()).toEqual({
      opensms: {
        status: 'up',
        mode: 'all',
        inbox: { status: 'up', responseTimeMs: expect.any(Number) },
        queue: { status: 'up', backend: 'redis', paused: false, responseTimeMs: expect.any(Number) },
      },
    });
  });

  it('pauses and resumes every worker, from the service and from the command line with --redis-cluster', async () => {
    await service().pause();
    expect(await service().isPaused()).toBe(true);
    expect((await health().isReady()).opensms.queue).toMatchObject({ status: 'up', paused: true });
    const status = await cli('status', '--database-url', TEST_DATABASE_URL, '--schema', host.schema);
    expect(status.code).toBe(0);
    expect(status.lines).toContain('processing paused (resume with: opensms-webhook resume)');
    expect(await cli('resume')).toEqual({ code: 0, lines: ['Processing resumed.'] });
    expect(await service().isPaused()).toBe(false);

    expect(await cli('pause')).toMatchObject({ code: 0 });
    expect(await service().isPaused()).toBe(true);
    const response = await postSigned(host.endpoint, smsPayload({ event: 'sms.delivered', message_id: 'msg_cluster_paused' }));
    expect(response.status).toBe(200);
    const id: string = response.body.id;
    await waitFor('the relay to queue the event', () => isQueued(id));
    expect((await service().findById(id))?.state).toBe('received');
    expect(consumer().calls.filter((call) => call.context.eventId === id)).toEqual([]);

    expect(await cli('resume')).toEqual({ code: 0, lines: ['Processing resumed.'] });
    await waitFor('the paused event to be processed', processed([id]));
    expect(
      consumer()
        .calls.filter((call) => call.context.eventId === id)
        .map((call) => call.handler)
        .sort(),
    ).toEqual(['*', 'delivered']);
  });

  it('refuses, at start-up, a prefix without a hash tag, naming the one to give', async () => {
    // NOTE: on a database that is not there, so that the refused application leaves no open pool behind.
    const starting = startTestApp({
      schema: host.schema,
      queuePrefix: 'bull',
      databaseUrl: `postgres://postgres@127.0.0.1:${await closedPort()}/test`,
      logger: new LogCapture(),
      options: { queue: { cluster: { nodes: cluster.nodes } } },
    });
    await expect(starting).rejects.toThrow(InvalidModuleOptionsError);
    await expect(starting).rejects.toThrow(/queue.prefix 'bull' has no Redis Cluster hash tag.*use queue: \{ prefix: '\{opensms\}' \}/);

    const output = captureCliOutput();
    const node = `redis://127.0.0.1:${cluster.nodes[0].port}`;
    expect(await runCli(['pause', '--redis-url', node, '--redis-cluster'], output, {})).toBe(1);
    expect(output.errors.join('\n')).toMatch(/queue.prefix 'bull' has no Redis Cluster hash tag/);
  });

  /** Whether the event's job waits on the queue (its outbox entry is gone). */
  async function isQueued(id: string): Promise<boolean> {
    const [{ unqueued }]: { unqueued: number }[] = await host.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS "unqueued" FROM "${host.schema}"."opensms_webhook_outbox" WHERE "event_id" = $1`, [id]);
    return unqueued === 0;
  }
});
