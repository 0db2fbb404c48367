import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { decodeWebhookSecrets } from '../webhook-secret';
import { StandardWebhooksVerifier } from './standard-webhooks.verifier';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXkh';
const NOW = 1_700_000_000;
const BODY =
  '{"event":"sms.delivered","message_id":"msg_1","phone":"+254712345678","status":"delivered","timestamp":"2024-01-13T12:00:00Z"}';
const TOLERANCE = 300;

/** Headers as the reference `standardwebhooks` implementation signs them. */
function referenceHeaders(body = BODY, timestamp = NOW, id = 'msg_2Kfh1Qx', secret = SECRET): Record<string, string> {
  const signature = new Webhook(secret).sign(id, new Date(timestamp * 1000), body);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

describe('StandardWebhooksVerifier', () => {
  const verifier = new StandardWebhooksVerifier();
  const keys = decodeWebhookSecrets(SECRET);
  const verify = (headers: Record<string, string | string[]>, body = BODY, now = NOW, withKeys = keys) =>
    verifier.verify({ headers, rawBody: Buffer.from(body) }, withKeys, TOLERANCE, now);

  it('accepts a signature made by the standardwebhooks package', () => {
    expect(verify(referenceHeaders())).toEqual({ valid: true });
  });

  it('accepts reference signatures over unicode and empty bodies', () => {
    const unicode = '{"event":"sms.x","note":"héllo ✓ 🚀"}';
    expect(verify(referenceHeaders(unicode), unicode)).toEqual({ valid: true });
    expect(verify(referenceHeaders(''), '')).toEqual({ valid: true });
  });

  it('checks the exact bytes: one changed byte or re-serialised JSON is refused', () => {
    const headers = referenceHeaders();
    expect(verify(headers, BODY.replace('msg_1', 'msg_2')).valid).toBe(false);
    expect(verify(headers, JSON.stringify(JSON.parse(BODY), null, 1)).valid).toBe(false);
  });

  it('refuses a signature made with another secret, the id or timestamp swapped', () => {
    expect(verify(referenceHeaders(BODY, NOW, 'msg_2Kfh1Qx', OTHER_SECRET))).toEqual({ valid: false, reason: 'no signature matches' });
    expect(verify({ ...referenceHeaders(), 'webhook-id': 'msg_other' }).valid).toBe(false);
    expect(verify({ ...referenceHeaders(), 'webhook-timestamp': String(NOW + 1) }).valid).toBe(false);
  });

  it('accepts when any one of several signatures matches (key rotation)', () => {
    const valid = referenceHeaders()['webhook-signature'];
    const wrong = referenceHeaders(BODY, NOW, 'msg_2Kfh1Qx', OTHER_SECRET)['webhook-signature'];
    expect(verify({ ...referenceHeaders(), 'webhook-signature': `${wrong} v2,abcd ${valid}` })).toEqual({ valid: true });
    expect(verify({ ...referenceHeaders(), 'webhook-signature': `${wrong} ${wrong}` }).valid).toBe(false);
  });

  it('accepts when any one of several keys matches', () => {
    const headers = referenceHeaders(BODY, NOW, 'msg_2Kfh1Qx', OTHER_SECRET);
    expect(verify(headers, BODY, NOW, decodeWebhookSecrets([SECRET, OTHER_SECRET]))).toEqual({ valid: true });
  });

  it('returns invalid, without throwing, for "v1," alone and other empty candidates', () => {
    for (const signature of ['v1,', 'v1', ',', ' ', 'v1, v1,', 'v2,abc']) {
      expect(() => verify({ ...referenceHeaders(), 'webhook-signature': signature })).not.toThrow();
      expect(verify({ ...referenceHeaders(), 'webhook-signature': signature })).toEqual({
        valid: false,
        reason: 'no v1 signature in webhook-signature',
      });
    }
  });

  it('refuses signatures of the wrong length and non-base64 signatures', () => {
    const valid = referenceHeaders()['webhook-signature'].slice(3);
    const digest = Buffer.from(valid, 'base64');
    const cases = [
      `v1,${digest.subarray(0, 31).toString('base64')}`,
      `v1,${Buffer.concat([digest, Buffer.from([0])]).toString('base64')}`,
      `v1,${valid.slice(0, -4)}`,
      `v1,${digest.toString('hex')}`,
      `v1,${valid.replace(/[+/]/g, '-')}!`,
      `v1,${'*'.repeat(44)}`,
      `v1,${valid}${valid}`,
    ];
    for (const signature of cases) {
      expect(verify({ ...referenceHeaders(), 'webhook-signature': signature }).valid).toBe(false);
    }
  });

  it('refuses timestamps beyond the tolerance in both directions, accepts at the edge', () => {
    const at = (timestamp: number) => verify(referenceHeaders(BODY, timestamp));
    expect(at(NOW - TOLERANCE)).toEqual({ valid: true });
    expect(at(NOW + TOLERANCE)).toEqual({ valid: true });
    expect(at(NOW - TOLERANCE - 1)).toEqual({ valid: false, reason: 'signature timestamp outside the tolerance' });
    expect(at(NOW + TOLERANCE + 1)).toEqual({ valid: false, reason: 'signature timestamp outside the tolerance' });
  });

  it('refuses malformed timestamps', () => {
    for (const timestamp of ['', 'abc', '-1', '1.5', '1e9', String(NOW) + ' ', '9'.repeat(20)]) {
      expect(verify({ ...referenceHeaders(), 'webhook-timestamp': timestamp }).valid).toBe(false);
    }
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('refuses a call without %s', (name) => {
    const headers = referenceHeaders();
    delete headers[name];
    expect(verify(headers).valid).toBe(false);
  });

  it('refuses a header given twice (ambiguous)', () => {
    const signature = referenceHeaders()['webhook-signature'];
    expect(verify({ ...referenceHeaders(), 'webhook-signature': [signature, signature] }).valid).toBe(false);
  });

  it('looks at a bounded number of candidates', () => {
    const valid = referenceHeaders()['webhook-signature'];
    const junk = Array.from({ length: 10_000 }, () => 'v1,AAAA').join(' ');
    expect(verify({ ...referenceHeaders(), 'webhook-signature': `${junk} ${valid}` }).valid).toBe(false);
  });

  it('agrees with a hand-computed HMAC for a raw-string secret', () => {
    const [key] = decodeWebhookSecrets('plain-text-secret');
    const digest = createHmac('sha256', 'plain-text-secret').update(`msg_9.${NOW}.${BODY}`).digest('base64');
    const headers = { 'webhook-id': 'msg_9', 'webhook-timestamp': String(NOW), 'webhook-signature': `v1,${digest}` };
    expect(verify(headers, BODY, NOW, [key])).toEqual({ valid: true });
  });
});
