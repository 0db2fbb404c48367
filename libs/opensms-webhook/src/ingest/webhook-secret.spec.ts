import { InvalidWebhookSecretError } from '../errors/invalid-webhook-secret.error';
import { decodeWebhookSecrets, readStandardWebhooksSecret, readStripeSecret } from './webhook-secret';

const whsec = (bytes: Buffer) => `whsec_${bytes.toString('base64')}`;

describe('decodeWebhookSecrets', () => {
  it('decodes whsec_<base64> to its bytes', () => {
    const bytes = Buffer.from('0123456789abcdef0123456789abcdef');
    expect(decodeWebhookSecrets(whsec(bytes))).toEqual([bytes]);
  });

  it('takes any other string as its UTF-8 bytes, trimmed', () => {
    expect(decodeWebhookSecrets(' plain secret ✓ ')).toEqual([Buffer.from('plain secret ✓', 'utf8')]);
  });

  it('decodes each secret of a rotation list, in order', () => {
    const zeros = Buffer.alloc(16);
    expect(decodeWebhookSecrets([whsec(zeros), 'a raw shared secret'])).toEqual([zeros, Buffer.from('a raw shared secret')]);
  });

  it.each(['whsec_', 'whsec_not base64!', 'whsec_abc', 'whsec_ab==cd', 'whsec_@@@@'])(
    'refuses a malformed "whsec_" secret: %p',
    (secret) => {
      expect(() => decodeWebhookSecrets(secret)).toThrow(InvalidWebhookSecretError);
      expect(() => decodeWebhookSecrets(secret)).toThrow(/"whsec_" but the rest is not base64.*Settings → Webhooks/);
    },
  );

  it('refuses an empty secret or an empty list', () => {
    expect(() => decodeWebhookSecrets('   ')).toThrow(InvalidWebhookSecretError);
    expect(() => decodeWebhookSecrets([])).toThrow(/no secret given/);
    expect(() => decodeWebhookSecrets(['a raw shared secret', ''])).toThrow(/secret #2 is empty/);
  });

  it.each([
    ['a 1-byte whsec_ secret', whsec(Buffer.from([7])), 1],
    ['a 3-byte whsec_ secret', 'whsec_AAAA', 3],
    ['a 5-byte whsec_ secret', whsec(Buffer.from('wrong')), 5],
    ['a 15-byte whsec_ secret', whsec(Buffer.alloc(15, 1)), 15],
    ['a 3-byte raw secret', 'raw', 3],
    ['a 15-byte raw secret', 'fifteen-bytes!!', 15],
    ['a raw secret of 5 characters but 15 bytes', '✓✓✓✓✓', 15],
  ])('refuses %s, naming its length, the minimum and where to get a proper one', (_case, secret, length) => {
    expect(() => decodeWebhookSecrets(secret)).toThrow(InvalidWebhookSecretError);
    expect(() => decodeWebhookSecrets(secret)).toThrow(
      new RegExp(`secret #1 gives a ${length}-byte key, shorter than the 16 bytes a signing key needs.*Settings → Webhooks`),
    );
  });

  it('accepts a key of exactly 16 bytes, and names the short one of a rotation list', () => {
    expect(decodeWebhookSecrets(whsec(Buffer.alloc(16, 1)))).toEqual([Buffer.alloc(16, 1)]);
    expect(decodeWebhookSecrets('sixteen-bytes!!!')).toEqual([Buffer.from('sixteen-bytes!!!')]);
    expect(() => decodeWebhookSecrets(['a raw shared secret', 'whsec_AAAA'])).toThrow(/secret #2 gives a 3-byte key/);
  });

  it("measures the key a scheme's reader returns: Standard Webhooks base64, Stripe's whole string, a custom verifier's", () => {
    expect(() => decodeWebhookSecrets('AAAA', readStandardWebhooksSecret)).toThrow(/secret #1 gives a 3-byte key/);
    expect(() => decodeWebhookSecrets('whsec_AAAA', readStripeSecret)).toThrow(/secret #1 gives a 10-byte key/);
    expect(decodeWebhookSecrets('whsec_AAAAAAAAAA', readStripeSecret)).toEqual([Buffer.from('whsec_AAAAAAAAAA')]);
    const custom = (secret: string) => Buffer.from(secret, 'hex');
    expect(() => decodeWebhookSecrets('00112233445566778899', custom)).toThrow(/secret #1 gives a 10-byte key/);
    expect(decodeWebhookSecrets('00112233445566778899aabbccddeeff', custom)).toEqual([
      Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
    ]);
    expect(() => decodeWebhookSecrets('a raw shared secret', (() => 'a string, not bytes') as never)).toThrow(
      /secret #1 was read as no key bytes/,
    );
  });
});
