import { createHmac, type KeyObject, randomUUID, sign } from 'node:crypto';
import { STANDARD_WEBHOOK_HEADERS } from '../opensms-webhook.constants';
import { readWebhookSigningKey, WHSK_PREFIX } from '../ingest/webhook-ed25519-key';
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
 *
 * `secret` is an HMAC secret (`whsec_…` or raw: a `v1` signature), a Standard Webhooks Ed25519
 * secret key (`whsk_…`, see `createWebhookKeyPair`: a `v1a` signature), or a list of them: one
 * signature each, in order, in one header (as a sender does during a rotation).
 */
export function signWebhook(payload: unknown, secret: string | readonly string[], options: SignWebhookOptions = {}): SignedWebhook {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const base = { 'content-type': 'application/json' };
  if (options.scheme === 'stripe') {
    if (secrets.some((each) => each.startsWith(WHSK_PREFIX))) {
      throw new Error('signWebhook: a "whsk_" key signs Standard Webhooks v1a only, not the stripe scheme');
    }
    const digests = decodeWebhookSecrets(secrets, readStripeSecret).map(
      (key) => `v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`,
    );
    return { body, headers: { ...base, [options.header ?? 'opensms-signature']: [`t=${timestamp}`, ...digests].join(',') } };
  }
  const id = options.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
  const signed = Buffer.from(`${id}.${timestamp}.${body}`);
  const signatures = secrets.map((each) => {
    if (each.startsWith(WHSK_PREFIX)) return `v1a,${sign(null, signed, signingKeyOf(each)).toString('base64')}`;
    const [key] = decodeWebhookSecrets(each, readStandardWebhooksSecret);
    return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
  });
  return {
    body,
    headers: {
      ...base,
      [STANDARD_WEBHOOK_HEADERS.id]: id,
      [STANDARD_WEBHOOK_HEADERS.timestamp]: timestamp,
      [STANDARD_WEBHOOK_HEADERS.signature]: signatures.join(' '),
    },
  };
}

function signingKeyOf(secretKey: string): KeyObject {
  try {
    return readWebhookSigningKey(secretKey);
  } catch (error) {
    throw new Error(`signWebhook: ${(error as Error).message}`, { cause: error });
  }
}
