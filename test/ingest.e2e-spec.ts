import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { DataSource } from 'typeorm';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { type HttpAdapterName, openTestQueue, TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { TEST_DATABASE_URL } from './support/test-database';
import { postRaw, postSigned, smsPayload } from './support/webhook-client';

const QUEUE_NAME = 'opensms-webhooks';
const OTHER_SECRET = 'whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXkh';
const adapters: HttpAdapterName[] = ['express', 'fastify'];
const combinations = adapters.flatMap((adapter) =>
  (['forRoot', 'forRootAsync'] as const).map((registration) => ({ adapter, registration })),
);

/** Every inbox row, whatever its state. */
async function rowCount(app: INestApplication): Promise<number> {
  const counts = await app.get(OpenSmsWebhookService).countByState();
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** A payload whose dedupe key no other test uses. */
let serial = 0;
function freshPayload(fields: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return smsPayload({ message_id: `msg_ingest_${serial}`, ...fields });
}

describe.each(combinations)('ingest: the §3 status table on $adapter with $registration', ({ adapter, registration }) => {
  // NOTE: finished jobs are kept, so that the job of an event can be counted after it ran.
  const host = useTestApp(`ingest ${adapter} ${registration}`, {
    adapter,
    registration,
    options: { job: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  });

  /** Runs `send` and checks that it stored nothing. */
  async function expectNothingStored<T>(send: () => Promise<T>): Promise<T> {
    const before = await rowCount(host.app);
    const result = await send();
    expect(await rowCount(host.app)).toBe(before);
    return result;
  }

  it('200: a valid new event is stored before the answer', async () => {
    const payload = freshPayload({ event: 'sms.failed' });
    const response = await postSigned(host.endpoint, payload);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });
    const row = await host.app.get(OpenSmsWebhookService).findById(response.body.id);
    expect(row).toMatchObject({
      event: 'sms.failed',
      messageId: payload.message_id,
      phone: '+254712345678',
      error: 'Invalid phone number',
    });
    expect(row?.payload).toEqual(payload);
  });

  it('200: a redelivery (same dedupe key, new webhook-id) answers the same id with duplicate:true', async () => {
    const payload = freshPayload();
    const first = await postSigned(host.endpoint, payload);
    const again = await expectNothingStored(() => postSigned(host.endpoint, payload));

    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'received', id: first.body.id, duplicate: true });
  });

  it.each([
    ['no signature headers', () => ({ 'content-type': 'application/json' })],
    ['"v1," alone', (headers: Record<string, string>) => ({ ...headers, 'webhook-signature': 'v1,' })],
    ['a non-base64 signature', (headers: Record<string, string>) => ({ ...headers, 'webhook-signature': 'v1,@@@@not-base64@@@@' })],
    ['no webhook-timestamp', ({ 'webhook-timestamp': _omitted, ...headers }: Record<string, string>) => headers],
  ])('401: %s, nothing stored', async (_case, headersFrom) => {
    const signed = signWebhook(freshPayload(), TEST_SECRET);
    const response = await expectNothingStored(() => postRaw(host.endpoint, signed.body, headersFrom(signed.headers)));

    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ statusCode: 401, message: expect.stringMatching(/^Invalid webhook signature/) });
  });

  it('401: a signature made with another secret, nothing stored', async () => {
    const response = await expectNothingStored(() => postSigned(host.endpoint, freshPayload(), { secret: OTHER_SECRET }));
    expect(response.status).toBe(401);
    expect(response.body.message).toBe('Invalid webhook signature: no signature matches');
  });

  // NOTE: well past the 300 s tolerance: one second boundary crossed between signing and checking
  // would otherwise bring a timestamp 301 s ahead back within it.
  it.each([
    ['too old', -330],
    ['too far in the future', 330],
  ])('401: a timestamp %s, nothing stored', async (_case, offsetSeconds) => {
    const timestamp = Math.floor(Date.now() / 1000) + offsetSeconds;
    const response = await expectNothingStored(() => postSigned(host.endpoint, freshPayload(), { timestamp }));
    expect(response.status).toBe(401);
    expect(response.body.message).toBe('Invalid webhook signature: signature timestamp outside the tolerance');
  });

  it('401: a body changed after signing, nothing stored', async () => {
    const signed = signWebhook(freshPayload(), TEST_SECRET);
    const response = await expectNothingStored(() => postRaw(host.endpoint, signed.body.replace('+254', '+255'), signed.headers));
    expect(response.status).toBe(401);
  });

  it.each([
    ['an unknown status', { status: 'lost' }, /status must be one of/],
    ['a phone not in E.164', { phone: '0712345678' }, /phone must be an E.164 number/],
    ['a bad timestamp', { timestamp: 'yesterday' }, /timestamp must be a valid ISO 8601/],
    ['no message_id', { message_id: undefined }, /message_id/],
  ])('400: %s is listed, and the call is kept as invalid', async (_case, fields, problem) => {
    const response = await postSigned(host.endpoint, freshPayload(fields));

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid webhook payload',
      problems: expect.arrayContaining([expect.stringMatching(problem)]),
      id: expect.any(String),
    });
    const row = await host.app.get(OpenSmsWebhookService).findById(response.body.id);
    expect(row).toMatchObject({ state: 'invalid', dedupeKey: null, lastError: expect.stringMatching(problem) });
  });

  it('400: JSON that is not an object is kept as invalid', async () => {
    const signed = signWebhook('[1,2,3]', TEST_SECRET);
    const response = await postRaw(host.endpoint, signed.body, signed.headers);

    expect(response.status).toBe(400);
    expect(response.body.problems).toEqual(['body must be a JSON object']);
    expect(await host.app.get(OpenSmsWebhookService).findById(response.body.id)).toMatchObject({ state: 'invalid', payload: [1, 2, 3] });
  });

  // NOTE: the framework's JSON parser (body-parser on Express, Fastify's own) refuses such a body
  // before any route guard runs, so the call is answered 400 but cannot be kept in the inbox.
  it('400: a body that is not JSON at all is refused by the JSON parser, nothing stored', async () => {
    const signed = signWebhook('{"event": "sms.delivered",', TEST_SECRET);
    const response = await expectNothingStored(() => postRaw(host.endpoint, signed.body, signed.headers));

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, message: expect.any(String) });
  });

  it('200: an event type this version does not know is stored and, without a "*" handler, ignored', async () => {
    const response = await postSigned(host.endpoint, { event: 'sms.clicked', message_id: `msg_click_${serial++}` });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });
    const service = host.app.get(OpenSmsWebhookService);
    expect(await service.findById(response.body.id)).toMatchObject({ event: 'sms.clicked' });
    await waitFor('ignored row', async () => (await service.findById(response.body.id))?.state === 'ignored');
  });

  it('413: a body over 64 KiB, nothing stored', async () => {
    const response = await expectNothingStored(() => postSigned(host.endpoint, freshPayload({ padding: 'x'.repeat(65 * 1024) })));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ statusCode: 413 });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/vnd.opensms+json'])(
    '415: Content-Type %s, nothing stored',
    async (contentType) => {
      const signed = signWebhook(freshPayload(), TEST_SECRET);
      const response = await expectNothingStored(() =>
        postRaw(host.endpoint, signed.body, { ...signed.headers, 'content-type': contentType }),
      );
      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ statusCode: 415 });
    },
  );

  it('20 concurrent identical deliveries: one row, one job, exactly one duplicate:false', async () => {
    const signed = signWebhook(freshPayload(), TEST_SECRET);
    const before = await rowCount(host.app);
    const responses = await Promise.all(Array.from({ length: 20 }, () => postRaw(host.endpoint, signed.body, signed.headers)));

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const ids = new Set(responses.map((response) => response.body.id));
    expect(ids.size).toBe(1);
    expect(responses.filter((response) => response.body.duplicate === false)).toHaveLength(1);
    expect(await rowCount(host.app)).toBe(before + 1);

    const [id] = ids;
    const queue = openTestQueue(QUEUE_NAME, host.schema);
    try {
      // The relay queues the row after the answer, not before it.
      await waitFor('the relay to queue the event', async () => (await queue.getJob(id)) !== undefined);
      const jobIds = (await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'])).map((job) => job.id);
      expect(jobIds.filter((jobId) => jobId === id)).toHaveLength(1);
    } finally {
      await queue.close();
    }
  });
});

describe('ingest on express without raw bodies', () => {
  const host = useTestApp('ingest norawbody express', { adapter: 'express', rawBody: false });

  // NOTE: on Express the module reads its route's body itself (with ingest.bodyLimitBytes) and keeps its bytes.
  it('still verifies over the exact bytes received and stores the event', async () => {
    const response = await postSigned(host.endpoint, freshPayload());
    expect(response.status).toBe(200);
    expect(await rowCount(host.app)).toBe(1);
  });
});

describe('ingest on fastify without raw bodies', () => {
  const host = useTestApp('ingest norawbody fastify', { adapter: 'fastify', rawBody: false });

  it('answers with how to enable them instead of verifying re-serialised JSON, storing nothing', async () => {
    const response = await postSigned(host.endpoint, freshPayload());

    expect(response.status).toBe(500);
    expect(response.body.message).toContain('NestFactory.create(AppModule, { rawBody: true })');
    expect(await rowCount(host.app)).toBe(0);
  });
});

describe.each(adapters)('ingest on %s when the inbox database is unreachable', (adapter) => {
  let proxy: TcpProxy;

  beforeAll(async () => {
    const database = new URL(TEST_DATABASE_URL);
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
  });

  const host = useTestApp(`ingest nodb ${adapter}`, () => {
    const throughProxy = new URL(TEST_DATABASE_URL);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    return { adapter, databaseUrl: throughProxy.toString(), options: { ingest: { storeTimeoutMs: 1500, retryAfterSeconds: 17 } } };
  });

  // NOTE: declared after the app, so that the app has closed before its proxy goes away.
  afterAll(async () => {
    await proxy?.close();
  });

  it('answers 503 with Retry-After, never 2xx, and stores nothing', async () => {
    const payload = freshPayload();
    expect((await postSigned(host.endpoint, freshPayload())).status).toBe(200);
    proxy.cut();

    const response = await postSigned(host.endpoint, payload);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('17');
    expect(response.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/not stored/) });

    const direct = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL });
    await direct.initialize();
    try {
      const rows = await direct.query(`SELECT 1 FROM "${host.schema}"."opensms_webhook_events" WHERE "message_id" = $1`, [
        payload.message_id,
      ]);
      expect(rows).toHaveLength(0);
    } finally {
      await direct.destroy();
    }
  });
});
