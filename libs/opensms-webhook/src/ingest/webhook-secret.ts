import { InvalidWebhookSecretError } from '../errors/invalid-webhook-secret.error';
import type { WebhookSecrets } from '../opensms-webhook-options.interface';

const WHSEC_PREFIX = 'whsec_';
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Prefixes of Standard Webhooks Ed25519 keys, which are never HMAC secrets. */
const ED25519_KEY_PREFIXES = ['whpk_', 'whsk_'];

/** Turns one configured secret into HMAC key bytes; throws a message saying what is wrong. */
export type WebhookSecretReader = (secret: string) => Buffer;

/**
 * The default reading: `whsec_<base64>` is decoded, anything else is the raw string's UTF-8 bytes.
 * An Ed25519 key (`whpk_…`, `whsk_…`) is refused, so that it is never used as an HMAC secret.
 */
export const readWebhookSecret: WebhookSecretReader = (secret) => {
  const keyPrefix = ED25519_KEY_PREFIXES.find((prefix) => secret.startsWith(prefix));
  if (keyPrefix !== undefined) {
    throw new Error(`starts with "${keyPrefix}": it is an Ed25519 key, not a secret; give the public key (whpk_…) in publicKeys`);
  }
  return secret.startsWith(WHSEC_PREFIX)
    ? decodeStrictBase64(secret.slice(WHSEC_PREFIX.length), 'starts with "whsec_" but the rest is not base64')
    : Buffer.from(secret, 'utf8');
};

/**
 * Standard Webhooks, as its reference library (`standardwebhooks`) reads a secret: an optional
 * `whsec_` prefix, then base64. A secret without the prefix that is not base64 is taken as raw UTF-8.
 */
export const readStandardWebhooksSecret: WebhookSecretReader = (secret) =>
  !secret.startsWith(WHSEC_PREFIX) && STRICT_BASE64.test(secret) ? Buffer.from(secret, 'base64') : readWebhookSecret(secret);

/** Stripe-style, as stripe-node uses a secret: the whole string (`whsec_…` included) is the HMAC key. */
export const readStripeSecret: WebhookSecretReader = (secret) => Buffer.from(secret, 'utf8');

/**
 * Fewest key bytes a secret may give (after decoding): an HMAC key shorter than this can be
 * guessed, and anyone who guesses it can sign calls. OpenSMS's own secrets are far longer.
 */
export const MIN_WEBHOOK_SECRET_BYTES = 16;

/**
 * Turns configured secrets into key bytes with a scheme's reader. Throws
 * {@link InvalidWebhookSecretError} on an empty or malformed secret, and on one whose key is
 * shorter than {@link MIN_WEBHOOK_SECRET_BYTES}.
 */
export function decodeWebhookSecrets(secrets: WebhookSecrets, read: WebhookSecretReader = readWebhookSecret): Buffer[] {
  const list = (typeof secrets === 'string' ? [secrets] : [...secrets]).map((secret) => String(secret).trim());
  if (list.length === 0) throw new InvalidWebhookSecretError('no secret given');
  return list.map((secret, index) => {
    if (secret.length === 0) throw new InvalidWebhookSecretError(`secret #${index + 1} is empty`);
    let key: Buffer;
    try {
      key = read(secret);
    } catch (error) {
      throw new InvalidWebhookSecretError(`secret #${index + 1} ${(error as Error).message}`);
    }
    if (!(key instanceof Uint8Array)) throw new InvalidWebhookSecretError(`secret #${index + 1} was read as no key bytes (not a Buffer)`);
    if (key.length < MIN_WEBHOOK_SECRET_BYTES) {
      throw new InvalidWebhookSecretError(
        `secret #${index + 1} gives a ${key.length}-byte key, shorter than the ${MIN_WEBHOOK_SECRET_BYTES} bytes a signing key needs`,
      );
    }
    return key;
  });
}

/** Decodes padded standard base64, or throws an `Error` with `problem` (Node's own decoder skips what it cannot read). */
export function decodeStrictBase64(encoded: string, problem: string): Buffer {
  if (encoded.length === 0 || !STRICT_BASE64.test(encoded)) throw new Error(problem);
  return Buffer.from(encoded, 'base64');
}
