import type { SignatureScheme } from '../opensms-webhook-options.interface';
import type { SmsEventPayload } from '../testing/dispatch-to-handlers';
import { smsEventPayload } from '../testing/sms-event-payload';
import { signWebhook } from '../testing/sign-webhook';
import { postSignedWebhook, type WebhookAnswer } from './webhook-post';

/** Options of {@link sendTestEvent}. */
export interface SendTestEventOptions {
  /** Webhook endpoint, e.g. `http://localhost:3000/webhooks/sms`. */
  url: string;
  /** Signing secret (`whsec_…` or raw: a `v1` signature), or an Ed25519 secret key (`whsk_…`: a `v1a` signature). */
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

/** What the endpoint answered, and the payload sent. */
export interface SendTestEventResult extends WebhookAnswer {
  payload: SmsEventPayload;
}

/**
 * The payload of a test event, as OpenSMS would send it ({@link smsEventPayload}), now and for a
 * fresh message unless given.
 */
export function testEventPayload(options: Omit<SendTestEventOptions, 'url' | 'secret'>): SmsEventPayload {
  return smsEventPayload({
    message_id: options.messageId ?? `msg_test_${Date.now().toString(36)}`,
    timestamp: new Date().toISOString(),
    ...definedFields({
      event: options.event,
      phone: options.phone,
      status: options.status,
      error: options.error,
    }),
  });
}

/**
 * Signs one test event exactly as OpenSMS does ("Send Test Event") and POSTs it to `url` only
 * ({@link postSignedWebhook}: a redirect is the answer, never followed).
 */
export async function sendTestEvent(options: SendTestEventOptions): Promise<SendTestEventResult> {
  const payload = testEventPayload(options);
  const signed = signWebhook(payload, options.secret, { scheme: options.scheme, header: options.header });
  return { ...(await postSignedWebhook(options.url, signed)), payload };
}

function definedFields(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
