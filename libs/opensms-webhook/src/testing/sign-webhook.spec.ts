import { createPublicKey, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { StandardWebhooksEd25519Verifier } from '../ingest/verifiers/standard-webhooks-ed25519.verifier';
import { StandardWebhooksVerifier } from '../ingest/verifiers/standard-webhooks.verifier';
import { decodeWebhookPublicKeys } from '../ingest/webhook-ed25519-key';
import { StripeStyleVerifier } from '../ingest/verifiers/stripe-style.verifier';
import { decodeWebhookSecrets, readStripeSecret } from '../ingest/webhook-secret';
import { createWebhookKeyPair } from './create-webhook-key-pair';
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

  it('signs v1a with a whsk_ key of createWebhookKeyPair, which its whpk_ key verifies and no other', () => {
    const pair = createWebhookKeyPair();
    expect(pair.secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    expect(pair.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const signed = signWebhook(PAYLOAD, pair.secretKey, { timestamp: NOW, id: 'msg_test_3' });
    expect(signed.headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);

    const verifier = new StandardWebhooksEd25519Verifier();
    expect(verifier.verify(asRequest(signed), decodeWebhookPublicKeys(pair.publicKey), TOLERANCE, NOW)).toEqual({ valid: true });
    const stranger = decodeWebhookPublicKeys(createWebhookKeyPair().publicKey);
    expect(verifier.verify(asRequest(signed), stranger, TOLERANCE, NOW).valid).toBe(false);
  });

  it("makes a key pair Node's crypto agrees with: the whpk_ key, read as a JWK, verifies the signature", () => {
    const pair = createWebhookKeyPair();
    const signed = signWebhook(PAYLOAD, pair.secretKey, { timestamp: NOW, id: 'msg_test_4' });
    const x = Buffer.from(pair.publicKey.slice('whpk_'.length), 'base64').toString('base64url');
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    const signature = Buffer.from(signed.headers['webhook-signature'].slice('v1a,'.length), 'base64');
    expect(verify(null, Buffer.from(`msg_test_4.${NOW}.${signed.body}`), publicKey, signature)).toBe(true);
  });

  it('signs with each key of a list, in order, in one header: v1 for secrets, v1a for whsk_ keys', () => {
    const pair = createWebhookKeyPair();
    const signed = signWebhook(PAYLOAD, [SECRET, pair.secretKey], { timestamp: NOW, id: 'msg_test_5' });
    const [v1, v1a, ...rest] = signed.headers['webhook-signature'].split(' ');

    expect(rest).toEqual([]);
    expect(v1).toBe(new Webhook(SECRET).sign('msg_test_5', new Date(NOW * 1000), signed.body));
    expect(v1a).toMatch(/^v1a,/);
    expect(new StandardWebhooksVerifier().verify(asRequest(signed), decodeWebhookSecrets(SECRET), TOLERANCE, NOW)).toEqual({ valid: true });
    const v1aKeys = decodeWebhookPublicKeys(pair.publicKey);
    expect(new StandardWebhooksEd25519Verifier().verify(asRequest(signed), v1aKeys, TOLERANCE, NOW)).toEqual({ valid: true });
  });

  it('refuses a whsk_ key for the stripe scheme, and a malformed whsk_ key, saying why', () => {
    expect(() => signWebhook(PAYLOAD, createWebhookKeyPair().secretKey, { scheme: 'stripe' })).toThrow(
      /a "whsk_" key signs Standard Webhooks v1a only/,
    );
    expect(() => signWebhook(PAYLOAD, 'whsk_AAAA')).toThrow(/signWebhook: the "whsk_" key gives 3 bytes; it must be 64/);
  });
});
