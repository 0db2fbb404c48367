import { Injectable } from '@nestjs/common';
import {
  InvalidModuleOptionsError,
  OnSmsEvent,
  OpenSmsWebhookService,
  type SmsEvent,
  type SmsEventContext,
  type WebhookSecretResolver,
} from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { createWebhookKeyPair, signWebhook } from '@opensms/nestjs-webhooks/testing';
import { LogCapture } from './support/log-capture';
import { type HttpAdapterName, startTestApp, TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';
import { postRaw, smsPayload } from './support/webhook-client';

const adapters: HttpAdapterName[] = ['express', 'fastify'];
const OTHER_SECRET = 'whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXkh';
/** The sender's key pair before and after a rotation. */
const current = createWebhookKeyPair();
const next = createWebhookKeyPair();
/** A pair nobody configured. */
const stranger = createWebhookKeyPair();

let serial = 0;
const freshPayload = () => smsPayload({ message_id: `msg_v1a_${++serial}` });

/** Records the events handled, with their tenant. */
@Injectable()
class HandledEvents {
  static readonly tenants = new Map<string, string | null>();

  @OnSmsEvent('delivered', 'failed', 'pending')
  record(_event: SmsEvent, ctx: SmsEventContext) {
    HandledEvents.tenants.set(ctx.eventId, ctx.tenant);
  }
}

/** Signs `payload` with `keys` (secrets and/or whsk_ keys) and POSTs it. */
function post(url: string, payload: unknown, keys: string | string[], headers: Record<string, string> = {}) {
  const signed = signWebhook(payload, keys);
  return postRaw(url, signed.body, { ...signed.headers, ...headers });
}

describe.each(adapters)('Standard Webhooks v1a (Ed25519) on %s', (adapter) => {
  const logs = new LogCapture();
  const host = useTestApp(`v1a ${adapter}`, {
    adapter,
    logger: logs,
    registration: adapter === 'express' ? 'forRoot' : 'forRootAsync',
    providers: [HandledEvents],
    options: { secret: TEST_SECRET, publicKeys: [current.publicKey, next.publicKey] },
  });
  const service = () => host.app.get(OpenSmsWebhookService);

  it('accepts a v1a-signed call: 200, stored, handled', async () => {
    const payload = freshPayload();
    const response = await post(host.endpoint, payload, current.secretKey);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });
    expect(await service().findById(response.body.id)).toMatchObject({ messageId: payload.message_id, tenant: null });
    await waitFor('the handler ran', () => HandledEvents.tenants.has(response.body.id));
  });

  it('refuses a call signed with a key that is not configured: 401, nothing stored, logged', async () => {
    const payload = freshPayload();
    const response = await post(host.endpoint, payload, stranger.secretKey);

    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ statusCode: 401, message: 'Invalid webhook signature: no signature matches' });
    expect(await service().find({ messageId: payload.message_id })).toEqual([]);
    expect(logs.lines).toContain('Rejected webhook call: no signature matches');
  });

  it('accepts calls signed with either public key during a rotation', async () => {
    const before = await post(host.endpoint, freshPayload(), current.secretKey);
    const after = await post(host.endpoint, freshPayload(), next.secretKey);
    const both = await post(host.endpoint, freshPayload(), [next.secretKey, current.secretKey]);

    expect([before.status, after.status, both.status]).toEqual([200, 200, 200]);
  });

  it('verifies a header with v1 and v1a entries when either holds, and refuses it when neither does', async () => {
    const bothValid = await post(host.endpoint, freshPayload(), [TEST_SECRET, current.secretKey]);
    const onlyV1aValid = await post(host.endpoint, freshPayload(), [OTHER_SECRET, current.secretKey]);
    const onlyV1Valid = await post(host.endpoint, freshPayload(), [stranger.secretKey, TEST_SECRET]);
    const payload = freshPayload();
    const neither = await post(host.endpoint, payload, [OTHER_SECRET, stranger.secretKey]);

    expect([bothValid.status, onlyV1aValid.status, onlyV1Valid.status, neither.status]).toEqual([200, 200, 200, 401]);
    expect(await service().find({ messageId: payload.message_id })).toEqual([]);
  });

  it('applies the timestamp tolerance of v1 to v1a', async () => {
    const signed = signWebhook(freshPayload(), current.secretKey, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const response = await postRaw(host.endpoint, signed.body, signed.headers);

    expect(response.status).toBe(401);
    expect(response.body.message).toBe('Invalid webhook signature: signature timestamp outside the tolerance');
  });

  it('answers a retried v1a delivery as the duplicate it is', async () => {
    const signed = signWebhook(freshPayload(), current.secretKey);
    const first = await postRaw(host.endpoint, signed.body, signed.headers);
    const again = await postRaw(host.endpoint, signed.body, signed.headers);

    expect(again.body).toEqual({ status: 'received', id: first.body.id, duplicate: true });
  });
});

describe('publicKeys without a secret', () => {
  const host = useTestApp('v1a only', { options: { secret: undefined, publicKeys: current.publicKey } });

  it('accepts v1a and refuses a call that carries only a v1 signature', async () => {
    const v1a = await post(host.endpoint, freshPayload(), current.secretKey);
    const v1 = await post(host.endpoint, freshPayload(), TEST_SECRET);

    expect(v1a.status).toBe(200);
    expect(v1.status).toBe(401);
    expect(v1.body.message).toBe('Invalid webhook signature: no v1a signature in webhook-signature');
  });

  it('receives the test event of `opensms-webhook send-test --secret whsk_…`, signed v1a', async () => {
    const lines: string[] = [];
    const output = { log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
    const code = await runCli(
      ['send-test', '--url', host.endpoint, '--secret', current.secretKey, '--message-id', 'msg_v1a_cli'],
      output,
      {},
    );

    expect(lines).toContain('HTTP 200');
    expect(code).toBe(0);
    expect(await host.app.get(OpenSmsWebhookService).find({ messageId: 'msg_v1a_cli' })).toHaveLength(1);
  });
});

describe('public keys per tenant (secretResolver)', () => {
  const secretResolver: WebhookSecretResolver = (headers) => {
    if (headers['x-tenant'] === 'asymmetric') return { tenant: 'asymmetric', publicKeys: [current.publicKey] };
    if (headers['x-tenant'] === 'mixed') return { tenant: 'mixed', secrets: TEST_SECRET, publicKeys: next.publicKey };
    if (headers['x-tenant'] === 'broken') return { tenant: 'broken', publicKeys: 'whpk_AAAA' };
    return undefined;
  };
  const logs = new LogCapture();
  const host = useTestApp('v1a tenants', { logger: logs, providers: [HandledEvents], options: { tenants: { secretResolver } } });
  const service = () => host.app.get(OpenSmsWebhookService);

  it("verifies each tenant's calls with its own public keys, and hands the tenant to handlers", async () => {
    const asymmetric = await post(host.endpoint, freshPayload(), current.secretKey, { 'x-tenant': 'asymmetric' });
    const mixedV1 = await post(host.endpoint, freshPayload(), TEST_SECRET, { 'x-tenant': 'mixed' });
    const mixedV1a = await post(host.endpoint, freshPayload(), next.secretKey, { 'x-tenant': 'mixed' });
    const payload = freshPayload();
    const otherTenantsKey = await post(host.endpoint, payload, next.secretKey, { 'x-tenant': 'asymmetric' });

    expect([asymmetric.status, mixedV1.status, mixedV1a.status, otherTenantsKey.status]).toEqual([200, 200, 200, 401]);
    expect(await service().findById(asymmetric.body.id)).toMatchObject({ tenant: 'asymmetric' });
    expect(await service().find({ messageId: payload.message_id })).toEqual([]);
    await waitFor('the handler ran', () => HandledEvents.tenants.get(asymmetric.body.id) === 'asymmetric');
  });

  it('names what is missing for both schemes when a call carries neither a v1 nor a v1a entry', async () => {
    const signed = signWebhook(freshPayload(), TEST_SECRET);
    const response = await postRaw(host.endpoint, signed.body, { ...signed.headers, 'webhook-signature': 'v2,AAAA', 'x-tenant': 'mixed' });

    expect(response.status).toBe(401);
    expect(response.body.message).toBe(
      'Invalid webhook signature: no v1 signature in webhook-signature; no v1a signature in webhook-signature',
    );
  });

  it('answers a malformed public key from the resolver like a wrong signature, and logs why', async () => {
    const broken = await post(host.endpoint, freshPayload(), current.secretKey, { 'x-tenant': 'broken' });
    const wrong = await post(host.endpoint, freshPayload(), stranger.secretKey, { 'x-tenant': 'asymmetric' });

    expect([broken.status, wrong.status]).toEqual([401, 401]);
    expect(broken.body).toEqual(wrong.body);
    expect(
      logs.lines.some(
        (line) =>
          line.startsWith('secretResolver returned an unusable secret or tenant') &&
          line.includes('public key #1 gives a 3-byte key; an Ed25519 public key is 32 bytes'),
      ),
    ).toBe(true);
  });
});

describe('a malformed public key at start-up', () => {
  const schema = uniqueName('v1a startup');
  beforeAll(() => createSchema(schema));
  afterAll(() => dropSchema(schema));

  it.each(['forRoot', 'forRootAsync'] as const)(
    'stops the application with %s, naming the key and what a key looks like',
    async (registration) => {
      for (const [publicKeys, problem] of [
        [['whpk_AAAA'], /public key #1 gives a 3-byte key; an Ed25519 public key is 32 bytes/],
        [[current.publicKey, current.secretKey], /public key #2 starts with "whsk_": that is the secret key, which only the sender holds/],
        [[current.publicKey.slice('whpk_'.length)], /public key #1 does not start with "whpk_"/],
      ] as const) {
        const starting = startTestApp({ schema, queuePrefix: schema, registration, options: { publicKeys } });
        await expect(starting).rejects.toThrow(InvalidModuleOptionsError);
        await expect(starting).rejects.toThrow(problem);
        await expect(starting).rejects.toThrow(/Give the sender's Ed25519 public key as "whpk_<base64 of its 32 bytes>" in publicKeys/);
      }
    },
  );
});
