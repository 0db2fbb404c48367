import { createHmac, randomUUID } from 'node:crypto';
import { STANDARD_WEBHOOK_HEADERS } from '../opensms-webhook.constants';
import { decodeWebhookSecrets, readStandardWebhooksSecret, readStripeSecret } from '../ingest/webhook-secret';
import type { SignatureScheme } from '../opensms-webhook-options.interface';

/** Options of {@link signWebhook}. */
export interface SignWebhookOptions {
  /** @default 'standard-webhooks' */
  scheme?: SignatureScheme;
  /** Signing time, Unix seconds. @default now */
  timestamp?: number;
  /** `webhook-id` (Standard Webhooks). @default a random `msg_…` id */
  id?: string;
  /** Signature header of the `'stripe'` scheme. @default 'opensms-signature' */
  header?: string;
}

/** A signed webhook call: send `body` as is, with `headers`. */
export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
}

/**
 * Signs a payload exactly as OpenSMS does, for tests and local tools. `payload` is serialised with
 * `JSON.stringify` unless it is already a string (sent byte for byte).
 */
export function signWebhook(payload: unknown, secret: string, options: SignWebhookOptions = {}): SignedWebhook {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const [key] = decodeWebhookSecrets(secret, options.scheme === 'stripe' ? readStripeSecret : readStandardWebhooksSecret);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const base = { 'content-type': 'application/json' };
  if (options.scheme === 'stripe') {
    const digest = createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
    return { body, headers: { ...base, [options.header ?? 'opensms-signature']: `t=${timestamp},v1=${digest}` } };
  }
  const id = options.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    body,
    headers: {
      ...base,
      [STANDARD_WEBHOOK_HEADERS.id]: id,
      [STANDARD_WEBHOOK_HEADERS.timestamp]: timestamp,
      [STANDARD_WEBHOOK_HEADERS.signature]: `v1,${signature}`,
    },
  };
}
