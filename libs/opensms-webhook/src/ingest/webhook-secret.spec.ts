import { InvalidWebhookSecretError } from '../errors/invalid-webhook-secret.error';
import { decodeWebhookSecrets } from './webhook-secret';

describe('decodeWebhookSecrets', () => {
  it('decodes whsec_<base64> to its bytes', () => {
    const bytes = Buffer.from('0123456789abcdef0123456789abcdef');
    expect(decodeWebhookSecrets(`whsec_${bytes.toString('base64')}`)).toEqual([bytes]);
  });

  it('takes any other string as its UTF-8 bytes, trimmed', () => {
    expect(decodeWebhookSecrets(' plain secret ✓ ')).toEqual([Buffer.from('plain secret ✓', 'utf8')]);
  });

  it('decodes each secret of a rotation list, in order', () => {
    expect(decodeWebhookSecrets(['whsec_AAAA', 'raw'])).toEqual([Buffer.from([0, 0, 0]), Buffer.from('raw')]);
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
    expect(() => decodeWebhookSecrets(['raw', ''])).toThrow(/secret #2 is empty/);
  });
});
