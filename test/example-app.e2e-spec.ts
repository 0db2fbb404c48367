import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { runCli, type CliOutput } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { createExampleApp } from '../src/app.factory';
import { exampleAppEnvironment } from './support/example-app-environment';
import { validateAppConfig } from '../src/config/app.config';
import { InvalidAppConfigError } from '../src/config/invalid-app-config.error';
import { clearQueuePrefix, TEST_SECRET, waitFor } from './support/test-app';
import { createSchema, dropSchema, TEST_DATABASE_URL, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** Collects what the CLI prints. */
function captureOutput(): CliOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), error: (line) => lines.push(line) };
}

describe('example app: messages kept up to date by OpenSMS webhooks', () => {
  const schema = uniqueName('example_app');
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    await createSchema(schema);
    ({ app } = await createExampleApp({
      environment: exampleAppEnvironment(schema, {
        OPENSMS_WEBHOOK_SECRET: `whsec_b2xkLXNlY3JldC1iZWluZy1yb3RhdGVkLW91dA==, ${TEST_SECRET}`,
      }),
      logger: ['error'],
    }));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  /** Sends a signed event and waits until the worker processed it. */
  async function deliver(fields: Record<string, unknown>): Promise<void> {
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload(fields));
    expect(response.status).toBe(200);
    const inbox = app.get(OpenSmsWebhookService);
    await waitFor(`event ${response.body.id} processed`, async () => (await inbox.findById(response.body.id))?.state === 'processed');
  }

  async function getMessage(messageId: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${url}/messages/${messageId}`);
    return { status: response.status, body: await response.json() };
  }

  it('records sms.delivered', async () => {
    await deliver({ event: 'sms.delivered', message_id: 'msg_delivered', timestamp: '2024-01-13T12:00:00Z' });
    const { status, body } = await getMessage('msg_delivered');
    expect(status).toBe(200);
    expect(body).toEqual({
      messageId: 'msg_delivered',
      phone: '+254712345678',
      status: 'delivered',
      error: null,
      statusAt: '2024-01-13T12:00:00.000Z',
      updatedAt: expect.any(String),
      history: [{ event: 'sms.delivered', status: 'delivered', timestamp: '2024-01-13T12:00:00.000Z', applied: true }],
    });
  });

  it('records sms.failed with its error', async () => {
    await deliver({ event: 'sms.failed', message_id: 'msg_failed', error: 'Invalid phone number' });
    const { body } = await getMessage('msg_failed');
    expect(body).toMatchObject({ status: 'failed', error: 'Invalid phone number' });
    expect(body.history).toEqual([{ event: 'sms.failed', status: 'failed', timestamp: '2024-01-13T12:00:00.000Z', applied: true }]);
  });

  it('moves sms.pending forward to sms.delivered, each event in the history once', async () => {
    await deliver({ event: 'sms.pending', message_id: 'msg_forward', timestamp: '2024-01-13T12:00:00Z' });
    expect((await getMessage('msg_forward')).body.status).toBe('pending');
    await deliver({ event: 'sms.delivered', message_id: 'msg_forward', timestamp: '2024-01-13T12:00:30Z' });
    const duplicate = await postSigned(
      `${url}/webhooks/sms`,
      smsPayload({ event: 'sms.delivered', message_id: 'msg_forward', timestamp: '2024-01-13T12:00:30Z' }),
    );
    expect(duplicate.body.duplicate).toBe(true);

    const { body } = await getMessage('msg_forward');
    expect(body.status).toBe('delivered');
    expect(body.history).toEqual([
      { event: 'sms.pending', status: 'pending', timestamp: '2024-01-13T12:00:00.000Z', applied: true },
      { event: 'sms.delivered', status: 'delivered', timestamp: '2024-01-13T12:00:30.000Z', applied: true },
    ]);
  });

  it('never moves a status backwards: a late sms.pending is recorded, not applied', async () => {
    await deliver({ event: 'sms.delivered', message_id: 'msg_late', timestamp: '2024-01-13T12:01:00Z' });
    await deliver({ event: 'sms.pending', message_id: 'msg_late', timestamp: '2024-01-13T12:00:10Z' });
    const { body } = await getMessage('msg_late');
    expect(body).toMatchObject({ status: 'delivered', statusAt: '2024-01-13T12:01:00.000Z' });
    expect(body.history).toEqual([
      { event: 'sms.pending', status: 'pending', timestamp: '2024-01-13T12:00:10.000Z', applied: false },
      { event: 'sms.delivered', status: 'delivered', timestamp: '2024-01-13T12:01:00.000Z', applied: true },
    ]);
  });

  it('answers 404 for a message OpenSMS reported nothing about', async () => {
    expect((await getMessage('msg_unknown')).status).toBe(404);
  });

  it('answers GET /health/live with the process up, touching nothing', async () => {
    const response = await fetch(`${url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      details: { opensms: { status: 'up', mode: 'all', uptimeSeconds: expect.any(Number) } },
    });
  });

  it('answers GET /health and GET /health/ready with the webhook pipeline up', async () => {
    for (const route of ['health', 'health/ready']) {
      const response = await fetch(`${url}/${route}`);
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body).toMatchObject({
        status: 'ok',
        details: { opensms: { status: 'up', mode: 'all', inbox: { status: 'up' }, queue: { status: 'up' } } },
      });
    }
  });

  it('accepts events signed with any configured secret (rotation)', async () => {
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload({ message_id: 'msg_old_secret' }), {
      secret: 'whsec_b2xkLXNlY3JldC1iZWluZy1yb3RhdGVkLW91dA==',
    });
    expect(response.status).toBe(200);
  });

  it('serves the webhook metrics at GET /metrics', async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toMatch(/^opensms_webhook_calls_total\{outcome="accepted"\} [1-9]/m);
  });

  it('describes the webhook, its signature headers and every answer in its OpenAPI document at GET /docs/json', async () => {
    const response = await fetch(`${url}/docs/json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      webhooks: Record<string, { post: { parameters: { name: string; in: string }[]; responses: Record<string, unknown> } }>;
    };
    expect(document.openapi).toBe('3.1.0');
    const { post } = document.webhooks.opensmsSmsEvent;
    expect(post.parameters.filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(['webhook-id', 'webhook-timestamp', 'webhook-signature']),
    );
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '413', '415', '503']));
  });

  describe('opensms-webhook CLI', () => {
    it('send-test: 200 and exit code 0 with the right secret', async () => {
      const output = captureOutput();
      const code = await runCli(
        [
          'send-test',
          '--url',
          `${url}/webhooks/sms`,
          '--event',
          'sms.failed',
          '--secret',
          TEST_SECRET,
          '--message-id',
          'msg_cli',
          '--error',
          'Absent subscriber',
        ],
        output,
      );
      expect(output.lines).toContain('HTTP 200');
      expect(code).toBe(0);
      await waitFor('CLI event applied', async () => (await getMessage('msg_cli')).status === 200);
      expect((await getMessage('msg_cli')).body).toMatchObject({ status: 'failed', error: 'Absent subscriber' });
    });

    it('send-test: 401 and a non-zero exit code with a wrong secret', async () => {
      const output = captureOutput();
      const code = await runCli(
        ['send-test', '--url', `${url}/webhooks/sms`, '--secret', 'whsec_d3Jvbmctc2VjcmV0LW9mLWFuLWF0dGFja2Vy'],
        output,
      );
      expect(output.lines).toContain('HTTP 401');
      expect(code).toBe(1);
    });

    it('send-test without --url is a usage error', async () => {
      const output = captureOutput();
      expect(await runCli(['send-test', '--secret', TEST_SECRET], output)).toBe(2);
      expect(output.lines.join('\n')).toContain('--url is required');
    });

    it('dead and replay --all-dead work on the inbox', async () => {
      const connection = ['--database-url', TEST_DATABASE_URL, '--schema', schema];
      const dead = captureOutput();
      expect(await runCli(['dead', ...connection], dead)).toBe(0);
      expect(dead.lines).toEqual(['No dead events.']);
      const replay = captureOutput();
      expect(await runCli(['replay', ...connection, '--all-dead'], replay)).toBe(0);
      expect(replay.lines).toEqual(['Replayed 0 event(s)']);
    });
  });
});

describe('example app configuration', () => {
  it('refuses to start without OPENSMS_WEBHOOK_SECRET, saying what to set', () => {
    expect(() => validateAppConfig({})).toThrow(InvalidAppConfigError);
    expect(() => validateAppConfig({})).toThrow(/OPENSMS_WEBHOOK_SECRET is required/);
  });

  it('reads a comma-separated list of secrets and applies the documented defaults', () => {
    expect(validateAppConfig({ OPENSMS_WEBHOOK_SECRET: 'new-signing-secret-0001, old-signing-secret-0002' })).toEqual({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      DATABASE_SCHEMA: 'public',
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENSMS_WEBHOOK_SECRET: ['new-signing-secret-0001', 'old-signing-secret-0002'],
      OPENSMS_QUEUE_BACKEND: 'redis',
      OPENSMS_QUEUE_PREFIX: 'bull',
      OPENSMS_QUEUE_SCHEMA: 'bullmq',
      OPENSMS_WEBHOOK_MODE: 'all',
      HTTP_ADAPTER: 'express',
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 5000,
      HTTP_CONNECTIONS_CHECK_INTERVAL_MS: 1000,
    });
  });

  it('takes a request timeout shorter than the default headers timeout, which follows it', () => {
    expect(validateAppConfig({ OPENSMS_WEBHOOK_SECRET: TEST_SECRET, HTTP_REQUEST_TIMEOUT_MS: '4000' })).toMatchObject({
      HTTP_REQUEST_TIMEOUT_MS: 4000,
      HTTP_HEADERS_TIMEOUT_MS: 4000,
    });
  });

  it('names every invalid HTTP timeout at once, and a headers timeout longer than the request timeout', () => {
    let error: unknown;
    try {
      validateAppConfig({
        OPENSMS_WEBHOOK_SECRET: TEST_SECRET,
        HTTP_REQUEST_TIMEOUT_MS: '5000',
        HTTP_HEADERS_TIMEOUT_MS: '6000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '0',
        HTTP_CONNECTIONS_CHECK_INTERVAL_MS: '1.5s',
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidAppConfigError);
    expect((error as InvalidAppConfigError).problems).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS (6000) must not be greater than HTTP_REQUEST_TIMEOUT_MS (5000)',
      'HTTP_KEEP_ALIVE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 2147483647 (got "0")',
      'HTTP_CONNECTIONS_CHECK_INTERVAL_MS must be a whole number of milliseconds from 1 to 2147483647 (got "1.5s")',
    ]);
  });

  it('names every invalid variable', () => {
    expect(() => validateAppConfig({ OPENSMS_WEBHOOK_SECRET: TEST_SECRET, HTTP_ADAPTER: 'koa', OPENSMS_QUEUE_BACKEND: 'kafka' })).toThrow(
      /OPENSMS_QUEUE_BACKEND must be one of redis, postgres[\s\S]*HTTP_ADAPTER must be one of express, fastify/,
    );
  });
});
