import { InvalidWebhookSecretError } from '../errors/invalid-webhook-secret.error';
import type { WebhookSecrets } from '../opensms-webhook-options.interface';

const WHSEC_PREFIX = 'whsec_';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Turns configured secrets into key bytes: `whsec_<base64>` is decoded, anything else is taken as
 * the raw string's UTF-8 bytes. Throws {@link InvalidWebhookSecretError} on an empty or malformed secret.
 */
export function decodeWebhookSecrets(secrets: WebhookSecrets): Buffer[] {
  const list = (typeof secrets === 'string' ? [secrets] : [...secrets]).map((secret) => secret.trim());
  if (list.length === 0) throw new InvalidWebhookSecretError('no secret given');
  return list.map((secret, index) => {
    if (secret.length === 0) throw new InvalidWebhookSecretError(`secret #${index + 1} is empty`);
    if (!secret.startsWith(WHSEC_PREFIX)) return Buffer.from(secret, 'utf8');
    const encoded = secret.slice(WHSEC_PREFIX.length);
    if (encoded.length === 0 || !STRICT_BASE64.test(encoded)) {
      throw new InvalidWebhookSecretError(`secret #${index + 1} starts with "whsec_" but the rest is not base64`);
    }
    return Buffer.from(encoded, 'base64');
  });
}
