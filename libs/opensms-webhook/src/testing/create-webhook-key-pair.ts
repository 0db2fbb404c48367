import { generateKeyPairSync } from 'node:crypto';
import { formatWebhookKeyPair, type WebhookKeyPair } from '../ingest/webhook-ed25519-key';

/**
 * A fresh Standard Webhooks Ed25519 key pair, for tests and local tools: sign with `secretKey`
 * (`signWebhook(payload, secretKey)`), verify with `publicKey` (`publicKeys: [publicKey]`).
 *
 * ```ts
 * const { secretKey, publicKey } = createWebhookKeyPair(); // 'whsk_…', 'whpk_…'
 * ```
 */
export function createWebhookKeyPair(): WebhookKeyPair {
  return formatWebhookKeyPair(generateKeyPairSync('ed25519').privateKey);
}
