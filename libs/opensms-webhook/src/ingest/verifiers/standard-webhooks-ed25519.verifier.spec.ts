import { generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { signWebhook } from '../../testing/sign-webhook';
import { decodeWebhookPublicKeys } from '../webhook-ed25519-key';
import { StandardWebhooksEd25519Verifier } from './standard-webhooks-ed25519.verifier';

const NOW = 1_700_000_000;
const TOLERANCE = 300;
const ID = 'msg_2Kfh1Qx';
const BODY =
  '{"event":"sms.delivered","message_id":"msg_1","phone":"+254712345678","status":"delivered","timestamp":"2024-01-13T12:00:00Z"}';

/**
 * A key pair of Node's own Ed25519, with its raw bytes read from the DER encodings (RFC 8410:
 * the key bytes end both), so that nothing of this library's key parsing is involved.
 */
function independentKeyPair(): { privateKey: KeyObject; publicKey: KeyObject; rawPublicKey: Buffer; whsk: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const rawPublicKey = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  return { privateKey, publicKey, rawPublicKey, whsk: `whsk_${Buffer.concat([seed, rawPublicKey]).toString('base64')}` };
}

/** Headers of a call signed by Node's `crypto.sign` directly. */
function independentlySigned(privateKey: KeyObject, body = BODY, timestamp = NOW, id = ID): Record<string, string> {
  const signature = sign(null, Buffer.from(`${id}.${timestamp}.${body}`), privateKey).toString('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1a,${signature}` };
}

describe('StandardWebhooksEd25519Verifier', () => {
  const verifier = new StandardWebhooksEd25519Verifier();
  const sender = independentKeyPair();
  const other = independentKeyPair();
  const check = (headers: Record<string, string>, keys = [sender.rawPublicKey], body = BODY, now = NOW) =>
    verifier.verify({ headers, rawBody: Buffer.from(body) }, keys, TOLERANCE, now);

  it("accepts a v1a signature made by Node's crypto.sign, with the key's raw bytes", () => {
    expect(check(independentlySigned(sender.privateKey))).toEqual({ valid: true });
  });

  it('accepts unicode and empty bodies, byte for byte', () => {
    const unicode = '{"event":"sms.x","note":"héllo ✓ 🚀"}';
    expect(check(independentlySigned(sender.privateKey, unicode), undefined, unicode)).toEqual({ valid: true });
    expect(check(independentlySigned(sender.privateKey, ''), undefined, '')).toEqual({ valid: true });
  });

  it("signs with signWebhook and a whsk_ key what Node's crypto.verify accepts with the generated public key", () => {
    const { body, headers } = signWebhook(BODY, sender.whsk, { id: ID, timestamp: NOW });
    expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    const signature = Buffer.from(headers['webhook-signature'].slice('v1a,'.length), 'base64');
    expect(verify(null, Buffer.from(`${ID}.${NOW}.${body}`), sender.publicKey, signature)).toBe(true);
    expect(verify(null, Buffer.from(`${ID}.${NOW}.${body}`), other.publicKey, signature)).toBe(false);
  });

  it('agrees with the published v1a vector of Svix, the Standard Webhooks authors: same signature, and it verifies', () => {
    const secretKey = 'whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==';
    const publicKey = 'whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const timestamp = 1614265330;
    const body = '{"test": 2432232314}';
    const expected = 'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==';

    expect(signWebhook(body, secretKey, { id, timestamp }).headers['webhook-signature']).toBe(expected);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': expected };
    expect(check(headers, decodeWebhookPublicKeys(publicKey), body, timestamp)).toEqual({ valid: true });
  });

  it('refuses a signature made with another key, over a changed body, id or timestamp', () => {
    expect(check(independentlySigned(other.privateKey))).toEqual({ valid: false, reason: 'no signature matches' });
    expect(check(independentlySigned(sender.privateKey), undefined, BODY.replace('msg_1', 'msg_2')).valid).toBe(false);
    expect(check({ ...independentlySigned(sender.privateKey), 'webhook-id': 'msg_other' }).valid).toBe(false);
    expect(check({ ...independentlySigned(sender.privateKey), 'webhook-timestamp': String(NOW + 1) }).valid).toBe(false);
  });

  it('accepts when any one of several keys (rotation) or several signatures matches', () => {
    expect(check(independentlySigned(other.privateKey), [sender.rawPublicKey, other.rawPublicKey])).toEqual({ valid: true });
    const wrong = independentlySigned(other.privateKey)['webhook-signature'];
    const right = independentlySigned(sender.privateKey)['webhook-signature'];
    expect(check({ ...independentlySigned(sender.privateKey), 'webhook-signature': `${wrong} v1,abcd ${right}` })).toEqual({ valid: true });
  });

  it('has the timestamp tolerance of v1, in both directions', () => {
    const at = (timestamp: number) => check(independentlySigned(sender.privateKey, BODY, timestamp));
    expect(at(NOW - TOLERANCE)).toEqual({ valid: true });
    expect(at(NOW + TOLERANCE)).toEqual({ valid: true });
    expect(at(NOW - TOLERANCE - 1)).toEqual({ valid: false, reason: 'signature timestamp outside the tolerance' });
    expect(at(NOW + TOLERANCE + 1)).toEqual({ valid: false, reason: 'signature timestamp outside the tolerance' });
  });

  it('answers without a v1a entry, and refuses malformed ones without throwing', () => {
    const headers = independentlySigned(sender.privateKey);
    const signature = Buffer.from(headers['webhook-signature'].slice(4), 'base64');
    const only = (entries: string) => check({ ...headers, 'webhook-signature': entries });
    for (const entries of ['v1,AAAA', 'v1a,', 'v1a', 'v2a,AAAA', ' ']) {
      expect(only(entries)).toEqual({ valid: false, reason: 'no v1a signature in webhook-signature' });
    }
    for (const entries of [
      `v1a,${signature.subarray(0, 63).toString('base64')}`,
      `v1a,${Buffer.concat([signature, Buffer.from([0])]).toString('base64')}`,
      `v1a,${signature.toString('hex')}`,
      `v1,${signature.toString('base64')}`,
    ]) {
      expect(() => only(entries)).not.toThrow();
      expect(only(entries).valid).toBe(false);
    }
  });

  it('looks at a bounded number of entries', () => {
    const valid = independentlySigned(sender.privateKey)['webhook-signature'];
    const junk = Array.from({ length: 100 }, () => 'v1a,AAAA').join(' ');
    expect(check({ ...independentlySigned(sender.privateKey), 'webhook-signature': `${junk} ${valid}` }).valid).toBe(false);
  });
});
