import { Webhook } from 'standardwebhooks';
import { StandardWebhooksVerifier } from '../ingest/verifiers/standard-webhooks.verifier';
import { StripeStyleVerifier } from '../ingest/verifiers/stripe-style.verifier';
import { decodeWebhookSecrets, readStripeSecret } from '../ingest/webhook-secret';
import { signWebhook } from './sign-webhook';
import { smsEventPayload } from './sms-event-payload';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RAW_SECRET = 'a plain shared secret';
const NOW = 1_700_000_000;
const TOLERANCE = 300;
const PAYLOAD = smsEventPayload({ event: 'sms.failed' });

/** The request a receiver sees for a signed call. */
const asRequest = ({ body, headers }: ReturnType<typeof signWebhook>) => ({ headers, rawBody: Buffer.from(body) });

describe('signWebhook', () => {
  it('signs with Standard Webhooks headers that the library verifier accepts', () => {
    const signed = signWebhook(PAYLOAD, SECRET, { timestamp: NOW, id: 'msg_test_1' });

    expect(signed.body).toBe(JSON.stringify(PAYLOAD));
    expect(signed.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'msg_test_1',
      'webhook-timestamp': String(NOW),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
    const verification = new StandardWebhooksVerifier().verify(asRequest(signed), decodeWebhookSecrets(SECRET), TOLERANCE, NOW);
    expect(verification).toEqual({ valid: true });
  });

  it('produces the signature of the reference standardwebhooks implementation', () => {
    const signed = signWebhook(PAYLOAD, SECRET, { timestamp: NOW, id: 'msg_test_2' });

    const reference = new Webhook(SECRET).sign('msg_test_2', new Date(NOW * 1000), signed.body);
    expect(signed.headers['webhook-signature']).toBe(reference);
  });

  it('signs string payloads byte for byte, with raw (non-whsec) secrets, and a fresh id and current time by default', () => {
    const body = '{"event":"sms.delivered",  "note":"héllo ✓"}';
    const signed = signWebhook(body, RAW_SECRET);
    const other = signWebhook(body, RAW_SECRET);

    expect(signed.body).toBe(body);
    expect(signed.headers['webhook-id']).not.toBe(other.headers['webhook-id']);
    const now = Number(signed.headers['webhook-timestamp']);
    expect(Math.abs(now - Date.now() / 1000)).toBeLessThan(60);
    const verifier = new StandardWebhooksVerifier();
    expect(verifier.verify(asRequest(signed), decodeWebhookSecrets(RAW_SECRET), TOLERANCE, now)).toEqual({ valid: true });
    expect(verifier.verify(asRequest(signed), decodeWebhookSecrets(SECRET), TOLERANCE, now).valid).toBe(false);
  });

  it('signs in the Stripe-style scheme, in the default or a chosen header, as StripeStyleVerifier expects', () => {
    const keys = decodeWebhookSecrets(SECRET, readStripeSecret);
    const signed = signWebhook(PAYLOAD, SECRET, { scheme: 'stripe', timestamp: NOW });
    expect(signed.headers['opensms-signature']).toMatch(new RegExp(`^t=${NOW},v1=[0-9a-f]{64}$`));
    expect(new StripeStyleVerifier('opensms-signature').verify(asRequest(signed), keys, TOLERANCE, NOW)).toEqual({ valid: true });

    const custom = signWebhook(PAYLOAD, SECRET, { scheme: 'stripe', timestamp: NOW, header: 'x-sms-signature' });
    expect(new StripeStyleVerifier('x-sms-signature').verify(asRequest(custom), keys, TOLERANCE, NOW)).toEqual({ valid: true });
  });

  it('yields signatures that stop verifying once the body changes', () => {
    const signed = signWebhook(PAYLOAD, SECRET, { timestamp: NOW });
    const tampered = { ...signed, body: signed.body.replace('failed', 'delivered') };

    const verification = new StandardWebhooksVerifier().verify(asRequest(tampered), decodeWebhookSecrets(SECRET), TOLERANCE, NOW);
    expect(verification.valid).toBe(false);
  });
});
