import { Injectable } from '@nestjs/common';
import { OnSmsEvent, type SmsEvent, type SmsEventContext } from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { type HttpAdapterName, useTestApp, waitFor } from './support/test-app';
import { postRaw, smsPayload } from './support/webhook-client';

const adapters: HttpAdapterName[] = ['express', 'fastify'];
const WHSEC = 'whsec_c3RyaXBlLXN0eWxlIHNpZ25pbmcgc2VjcmV0IDAxMjM0NQ==';
const BASE64_WITHOUT_PREFIX = 'c3RhbmRhcmQgd2ViaG9va3Mgc2VjcmV0IHdpdGhvdXQgcHJlZml4';

let serial = 0;
const freshPayload = (fields: Record<string, unknown> = {}) => smsPayload({ message_id: `msg_scheme_${++serial}`, ...fields });

describe.each(adapters)('the stripe scheme on %s', (adapter) => {
  const host = useTestApp(`scheme stripe ${adapter}`, { adapter, options: { ingest: { signatureScheme: 'stripe' }, secret: WHSEC } });

  it('a whsec_ secret is used as stripe-node uses it (stripe.webhooks.generateTestHeaderString)', async () => {
    const stripe = new Stripe('sk_test_unused');
    const body = JSON.stringify(freshPayload());
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: WHSEC });

    const response = await postRaw(host.endpoint, body, { 'content-type': 'application/json', 'opensms-signature': header });
    expect(response.status).toBe(200);
  });
});

describe.each(adapters)('the standard-webhooks scheme on %s', (adapter) => {
  const host = useTestApp(`scheme sw ${adapter}`, { adapter, options: { secret: BASE64_WITHOUT_PREFIX } });

  it('a base64 secret without the whsec_ prefix is read as the standardwebhooks package reads it', async () => {
    const body = JSON.stringify(freshPayload());
    const id = `msg_ref_${serial}`;
    const now = new Date();
    const signature = new Webhook(BASE64_WITHOUT_PREFIX).sign(id, now, body);

    const response = await postRaw(host.endpoint, body, {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    });
    expect(response.status).toBe(200);
  });
});

/** Records `ctx.stale` of every event. */
@Injectable()
class StaleRecorder {
  static readonly stale = new Map<string, boolean>();

  @OnSmsEvent('delivered', 'failed', 'pending')
  record(_event: SmsEvent, ctx: SmsEventContext) {
    StaleRecorder.stale.set(ctx.eventId, ctx.stale);
  }
}

describe('ctx.stale at equal timestamps', () => {
  const host = useTestApp('stale equal', { providers: [StaleRecorder] });

  it.each(['sms.delivered', 'sms.failed'])('a %s is not overtaken by a pending with the same timestamp', async (finalEvent) => {
    const timestamp = '2026-01-13T12:00:00Z';
    const messageId = `msg_equal_${++serial}`;
    const post = async (event: string) => {
      const signed = signWebhook(
        smsPayload({ event, status: event.slice(4), message_id: messageId, timestamp }),
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      );
      const response = await postRaw(host.endpoint, signed.body, signed.headers);
      expect(response.status).toBe(200);
      return response.body.id as string;
    };
    const finalId = await post(finalEvent);
    await waitFor('the final event handled', () => StaleRecorder.stale.has(finalId));
    const pendingId = await post('sms.pending');
    await waitFor('the pending event handled', () => StaleRecorder.stale.has(pendingId));

    expect(StaleRecorder.stale.get(finalId)).toBe(false);
    expect(StaleRecorder.stale.get(pendingId)).toBe(true);
  });
});
