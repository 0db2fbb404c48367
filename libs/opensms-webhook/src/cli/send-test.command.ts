import { KNOWN_SMS_EVENTS } from '../events/sms-event-types';
import type { SignatureScheme } from '../opensms-webhook-options.interface';
import { signWebhook } from '../testing/sign-webhook';

/** Options of {@link sendTestEvent}. */
export interface SendTestEventOptions {
  /** Webhook endpoint, e.g. `http://localhost:3000/webhooks/sms`. */
  url: string;
  /** Signing secret (`whsec_…` or raw). */
  secret: string;
  /** @default 'sms.delivered' */
  event?: string;
  /** @default a fresh `msg_test_…` id */
  messageId?: string;
  /** @default '+254712345678' */
  phone?: string;
  /** @default the event's own status (`sms.failed` → `failed`) */
  status?: string;
  /** Failure reason of `sms.failed`. @default 'Invalid phone number' */
  error?: string;
  /** @default 'standard-webhooks' */
  scheme?: SignatureScheme;
  /** Signature header of the `'stripe'` scheme. @default 'opensms-signature' */
  header?: string;
}

/** What the endpoint answered. */
export interface SendTestEventResult {
  status: number;
  body: string;
  payload: Record<string, unknown>;
}

/** The payload of a test event, as OpenSMS would send it. */
export function testEventPayload(options: Omit<SendTestEventOptions, 'url' | 'secret'>): Record<string, unknown> {
  const event = options.event ?? 'sms.delivered';
  const status = options.status ?? (event in KNOWN_SMS_EVENTS ? event.slice(event.indexOf('.') + 1) : 'delivered');
  return {
    event,
    message_id: options.messageId ?? `msg_test_${Date.now().toString(36)}`,
    phone: options.phone ?? '+254712345678',
    status,
    ...(event === 'sms.failed' || options.error ? { error: options.error ?? 'Invalid phone number' } : {}),
    timestamp: new Date().toISOString(),
  };
}

/** Signs one test event exactly as OpenSMS does ("Send Test Event") and POSTs it. */
export async function sendTestEvent(options: SendTestEventOptions): Promise<SendTestEventResult> {
  const payload = testEventPayload(options);
  const signed = signWebhook(payload, options.secret, { scheme: options.scheme, header: options.header });
  const response = await fetch(options.url, { method: 'POST', headers: signed.headers, body: signed.body });
  return { status: response.status, body: await response.text(), payload };
}
