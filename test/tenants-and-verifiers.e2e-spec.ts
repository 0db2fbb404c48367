import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  OnSmsEvent,
  OpenSmsWebhookService,
  type SignatureVerifier,
  type SmsEvent,
  type SmsEventContext,
  type UnknownSmsEvent,
  type WebhookSecretResolver,
} from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { type HttpAdapterName, useTestApp, waitFor } from './support/test-app';
import { postRaw, smsPayload } from './support/webhook-client';
import { LogCapture } from './support/log-capture';

const adapters: HttpAdapterName[] = ['express', 'fastify'];
const SECRET_A = 'whsec_dGVuYW50IGEgc2lnbmluZyBrZXkgMDEyMzQ1Njc4OQ==';
const SECRET_B = 'whsec_dGVuYW50IGIgc2lnbmluZyBrZXkgOTg3NjU0MzIxMA==';
/** A key of 5 bytes ("short"), too short to sign with. */
const SHORT_KEY = Buffer.from('short');

let serial = 0;
function freshPayload(fields: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return smsPayload({ message_id: `msg_tenant_${serial}`, ...fields });
}

/** Records the context each event was handled with. */
@Injectable()
class TenantRecorder {
  static readonly seen = new Map<string, string | null | undefined>();

  @OnSmsEvent('*')
  record(_event: SmsEvent | UnknownSmsEvent, ctx: SmsEventContext) {
    TenantRecorder.seen.set(ctx.eventId, (ctx as { tenant?: string | null }).tenant);
  }
}

function post(url: string, payload: unknown, secret: string, tenant: string, options: { timestamp?: number } = {}) {
  const signed = signWebhook(payload, secret, options);
  return postRaw(url, signed.body, { ...signed.headers, 'x-tenant': tenant });
}

/** POSTs a call signed as Standard Webhooks signs it, with the key bytes given (the testing kit refuses a short key). */
function postSignedWithKey(url: string, payload: unknown, key: Buffer, tenant: string) {
  const body = JSON.stringify(payload);
  const id = `msg_short_${serial}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return postRaw(url, body, {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
    'x-tenant': tenant,
  });
}

describe.each(adapters)('tenants (secretResolver) stay apart on %s', (adapter) => {
  const logs = new LogCapture();
  let resolverCalls = 0;
  const secretResolver = ((headers: Record<string, unknown>) => {
    resolverCalls += 1;
    const tenant = headers['x-tenant'];
    if (tenant === 'boom') throw new Error('tenant directory unreachable');
    if (tenant === 'a') return { tenant: 'a', secrets: SECRET_A };
    if (tenant === 'b') return { tenant: 'b', secrets: [SECRET_B] };
    if (tenant === 'short') return { tenant: 'short', secrets: `whsec_${SHORT_KEY.toString('base64')}` };
    return undefined;
  }) as unknown as WebhookSecretResolver;
  const host = useTestApp(`tenants ${adapter}`, {
    adapter,
    logger: logs,
    providers: [TenantRecorder],
    options: { tenants: { secretResolver } },
  });

  it("tenant A posting B's event signed with A's secret cannot shadow B's genuine delivery", async () => {
    const payload = freshPayload();
    const forged = await post(host.endpoint, payload, SECRET_A, 'a');
    const genuine = await post(host.endpoint, payload, SECRET_B, 'b');

    expect(forged.status).toBe(200);
    expect(genuine.status).toBe(200);
    expect(genuine.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });
    expect(genuine.body.id).not.toBe(forged.body.id);
    const service = host.app.get(OpenSmsWebhookService);
    expect(await service.findById(genuine.body.id)).toMatchObject({ tenant: 'b' });
    expect(await service.findById(forged.body.id)).toMatchObject({ tenant: 'a' });
    await waitFor('both handled', () => TenantRecorder.seen.has(genuine.body.id) && TenantRecorder.seen.has(forged.body.id));
    expect(TenantRecorder.seen.get(genuine.body.id)).toBe('b');
    expect(TenantRecorder.seen.get(forged.body.id)).toBe('a');
  });

  it('the resolver runs only after the cheap checks (signature headers present, timestamp within tolerance)', async () => {
    const before = resolverCalls;
    const signed = signWebhook(freshPayload(), SECRET_A);
    const { 'webhook-signature': _omitted, ...unsigned } = signed.headers;
    const missing = await postRaw(host.endpoint, signed.body, { ...unsigned, 'x-tenant': 'a' });
    const stale = await post(host.endpoint, freshPayload(), SECRET_A, 'a', { timestamp: Math.floor(Date.now() / 1000) - 3600 });

    expect([missing.status, stale.status]).toEqual([401, 401]);
    expect(resolverCalls).toBe(before);
  });

  it('an unknown tenant and a wrong signature get the same 401 text', async () => {
    const unknown = await post(host.endpoint, freshPayload(), SECRET_A, 'nobody');
    const wrong = await post(host.endpoint, freshPayload(), SECRET_B, 'a');

    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('a secret the resolver returns that is shorter than 16 bytes is unusable: 401 like a wrong signature, and logged', async () => {
    const service = host.app.get(OpenSmsWebhookService);
    const payload = freshPayload();
    const response = await postSignedWithKey(host.endpoint, payload, SHORT_KEY, 'short');
    const wrong = await post(host.endpoint, freshPayload(), SECRET_B, 'a');

    expect(response.status).toBe(401);
    expect(response.body).toEqual(wrong.body);
    expect(await service.find({ messageId: payload.message_id as string })).toHaveLength(0);
    expect(
      logs.lines.some(
        (line) =>
          line.startsWith('secretResolver returned an unusable secret or tenant') &&
          line.includes('gives a 5-byte key, shorter than the 16 bytes a signing key needs'),
      ),
    ).toBe(true);
  });

  it('a resolver that throws: 503 with Retry-After on every call, logged once per burst', async () => {
    const service = host.app.get(OpenSmsWebhookService);
    const total = async () => Object.values(await service.countByState()).reduce((sum, count) => sum + count, 0);
    const before = await total();
    const responses = [];
    for (let index = 0; index < 5; index++) responses.push(await post(host.endpoint, freshPayload(), SECRET_A, 'boom'));

    expect(responses.map((response) => response.status)).toEqual(Array(5).fill(503));
    expect(responses.map((response) => response.headers.get('retry-after'))).toEqual(Array(5).fill('30'));
    expect(logs.lines.filter((line) => line.includes('tenant directory unreachable'))).toHaveLength(1);
    expect(await total()).toBe(before);
  });
});

describe.each(adapters)('custom verifiers are held to the contract on %s', (adapter) => {
  const RAW_SECRET = 'raw-secret-that-must-never-be-logged';
  const logs = new LogCapture();
  const verifier: SignatureVerifier = {
    name: 'house-scheme',
    verify: ((request: { headers: Record<string, unknown> }, keys: readonly Buffer[]) => {
      const mode = request.headers['x-mode'];
      if (mode === 'throw') throw new Error(`cannot use key ${keys[0].toString('utf8')}`);
      if (mode === 'truthy') return { valid: 'yes' };
      if (mode === 'async-ok') return Promise.resolve({ valid: true });
      if (mode === 'async-no') return Promise.resolve({ valid: false, reason: 'async says no' });
      if (mode === 'async-throw') return Promise.reject(new Error(`async cannot use ${keys[0].toString('utf8')}`));
      return { valid: false, reason: 'house scheme says no' };
    }) as unknown as SignatureVerifier['verify'],
  };
  const host = useTestApp(`verifiers ${adapter}`, {
    adapter,
    logger: logs,
    options: { secret: RAW_SECRET, ingest: { signatureScheme: verifier } },
  });

  const send = (mode: string) =>
    postRaw(host.endpoint, JSON.stringify(freshPayload()), { 'content-type': 'application/json', 'x-mode': mode });

  it('a verifier that throws is a 401, logged without the secret', async () => {
    for (const mode of ['throw', 'async-throw']) {
      const response = await send(mode);
      expect(response.status).toBe(401);
      expect(JSON.stringify(response.body)).not.toContain(RAW_SECRET);
    }
    expect(logs.lines.some((line) => line.includes('house-scheme'))).toBe(true);
    expect(logs.lines.join('\n')).not.toContain(RAW_SECRET);
  });

  it('a result counts as valid only when valid === true', async () => {
    expect((await send('truthy')).status).toBe(401);
  });

  it('an async verifier is awaited', async () => {
    expect((await send('async-ok')).status).toBe(200);
    expect((await send('async-no')).status).toBe(401);
  });
});
