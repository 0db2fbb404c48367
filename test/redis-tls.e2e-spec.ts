import { TerminusModule } from '@nestjs/terminus';
import { OpenSmsWebhookService, redisOptionsFromUrl } from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { captureCliOutput, runCliProcess } from './support/cli-process';
import { LogCapture } from './support/log-capture';
import { freePort, RedisServerProcess } from './support/redis-server';
import { useTestApp, waitFor } from './support/test-app';
import { TEST_DATABASE_URL } from './support/test-database';
import { makeTestCertificates, type TestCertificates } from './support/tls-certificates';
import { postSigned, smsPayload } from './support/webhook-client';

describe('the queue on Redis over TLS (rediss://), certificates checked', () => {
  let certificates: TestCertificates;
  let redis: RedisServerProcess;
  const redisUrl = () => `rediss://127.0.0.1:${redis.port}`;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    redis = new RedisServerProcess(await freePort(), { tls: certificates });
    await redis.start();
  });

  /** The host's configuration: the URL, and the CA that signed the server's certificate. */
  const trusting = useTestApp('redis_tls', () => {
    const connection = redisOptionsFromUrl(redisUrl());
    return {
      providers: [RecordingConsumer, OpenSmsWebhookHealthIndicator],
      imports: [TerminusModule.forRoot({ logger: false })],
      options: { queue: { connection: { ...connection, tls: { ...connection.tls, ca: certificates.ca } } } },
    };
  });

  const untrustingLogs = new LogCapture();
  const untrusting = useTestApp('redis_tls_untrusted', () => ({
    providers: [RecordingConsumer, OpenSmsWebhookHealthIndicator],
    imports: [TerminusModule.forRoot({ logger: false })],
    logger: untrustingLogs,
    options: { queue: { connection: redisOptionsFromUrl(redisUrl()) } },
  }));

  // NOTE: declared after the apps, so that they have closed before their Redis goes away.
  afterAll(async () => {
    await redis?.stop();
    certificates?.remove();
  });

  const cliArgs = (...args: string[]) => [
    ...args,
    '--database-url',
    TEST_DATABASE_URL,
    '--schema',
    trusting.schema,
    '--queue-prefix',
    trusting.schema,
  ];

  it('processes a signed call end to end over TLS when the host passes the CA in tls: { ca }', async () => {
    const response = await postSigned(trusting.endpoint, smsPayload({ event: 'sms.delivered', message_id: 'msg_tls' }));
    expect(response.status).toBe(200);
    const id: string = response.body.id;
    const service = trusting.app.get(OpenSmsWebhookService);
    await waitFor('the event to be processed over TLS', async () => (await service.findById(id))?.state === 'processed');
    const handlers = trusting.app
      .get(RecordingConsumer)
      .calls.filter((call) => call.context.eventId === id)
      .map((call) => call.handler);
    expect(handlers.sort()).toEqual(['*', 'delivered']);
    expect((await trusting.app.get(OpenSmsWebhookHealthIndicator).isReady()).opensms).toMatchObject({
      status: 'up',
      queue: { status: 'up', backend: 'redis', paused: false },
    });
  });

  it('keeps answering and storing when the CA is not trusted, and says so in the health check and the log', async () => {
    const response = await postSigned(untrusting.endpoint, smsPayload({ event: 'sms.delivered', message_id: 'msg_tls_untrusted' }));
    expect(response.status).toBe(200);
    const health = untrusting.app.get(OpenSmsWebhookHealthIndicator);
    let ready: Awaited<ReturnType<typeof health.isReady>> | undefined;
    await waitFor('the health check to name the certificate problem', async () => {
      ready = await health.isReady('opensms', { timeoutMs: 500 });
      return ready.opensms.queue?.error === 'TLS certificate not trusted';
    });
    expect(ready?.opensms).toMatchObject({ status: 'down', problems: ['queue (redis): TLS certificate not trusted'] });
    expect((await untrusting.app.get(OpenSmsWebhookService).findById(response.body.id))?.state).toBe('received');
    await waitFor('the worker to log the certificate problem and its fix', () =>
      untrustingLogs.lines.some((line) => line.includes('TLS certificate not trusted')),
    );
    const logged = untrustingLogs.lines.find((line) => line.includes('TLS certificate not trusted'));
    expect(logged).toMatch(/^Queue connection error: /);
    expect(logged).toContain(
      'self-signed certificate in certificate chain. TLS certificate not trusted: trust the CA that ' +
        "signed the Redis server's certificate with tls: { ca } in queue.connection (queue.cluster.options.redisOptions on a " +
        'cluster), or NODE_EXTRA_CA_CERTS=<CA file> in the environment',
    );
  });

  it('pauses, resumes and reports status from the command line with --redis-ca, and names the fix without it', async () => {
    const output = captureCliOutput();
    expect(await runCli(cliArgs('pause', '--redis-url', redisUrl(), '--redis-ca', certificates.caFile), output, {})).toBe(0);
    expect(await trusting.app.get(OpenSmsWebhookService).isPaused()).toBe(true);
    expect(await runCli(cliArgs('status', '--redis-url', redisUrl(), '--redis-ca', certificates.caFile), output, {})).toBe(0);
    expect(output.lines).toContain('processing paused (resume with: opensms-webhook resume)');
    expect(await runCli(cliArgs('resume', '--redis-url', redisUrl(), '--redis-ca', certificates.caFile), output, {})).toBe(0);
    expect(await trusting.app.get(OpenSmsWebhookService).isPaused()).toBe(false);

    const refused = captureCliOutput();
    expect(await runCli(cliArgs('pause', '--redis-url', redisUrl()), refused, {})).toBe(1);
    expect(refused.errors).toEqual([
      `opensms-webhook: Cannot reach Redis at ${redisUrl()}: self-signed certificate in certificate chain: TLS certificate not trusted; ` +
        'trust the CA that signed it with --redis-ca <CA file> (or NODE_EXTRA_CA_CERTS=<CA file>). Check that the server runs and ' +
        'answers there, and the URL (scheme, host, port, credentials; rediss:// only for a server that speaks TLS).',
    ]);
    expect(await trusting.app.get(OpenSmsWebhookService).isPaused()).toBe(false);
  });

  it('trusts the CA of NODE_EXTRA_CA_CERTS, as Node does everywhere', async () => {
    const { code, output } = await runCliProcess(cliArgs('status', '--redis-url', redisUrl()), {
      DATABASE_URL: TEST_DATABASE_URL,
      NODE_EXTRA_CA_CERTS: certificates.caFile,
    });
    expect(output).toContain('processing running');
    expect(code).toBe(0);
  });
});
