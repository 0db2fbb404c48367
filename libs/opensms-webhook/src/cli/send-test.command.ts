import type { SignatureScheme } from '../opensms-webhook-options.interface';
import type { SmsEventPayload } from '../testing/dispatch-to-handlers';
import { smsEventPayload } from '../testing/sms-event-payload';
import { signWebhook } from '../testing/sign-webhook';
import { describeUrl } from './url';

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

/** What the endpoint answered. */
export interface SendTestEventResult {
  status: number;
  body: string;
  payload: SmsEventPayload;
  /** `Location` of a redirect (3xx), which is never followed. */
  location?: string;
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
 * Signs one test event exactly as OpenSMS does ("Send Test Event") and POSTs it to `url` only: a
 * redirect is the answer (with its `location`), never followed, so the signed call cannot be
 * sent on to another server. A server that cannot be reached is named without the URL's
 * credentials and query.
 */
export async function sendTestEvent(options: SendTestEventOptions): Promise<SendTestEventResult> {
  const payload = testEventPayload(options);
  const signed = signWebhook(payload, options.secret, { scheme: options.scheme, header: options.header });
  let response: Response;
  try {
    response = await fetch(options.url, { method: 'POST', headers: signed.headers, body: signed.body, redirect: 'manual' });
  } catch (error) {
    throw new Error(`Cannot reach ${describeUrl(options.url)}: ${failureOf(error)}`, { cause: error });
  }
  const location = response.status >= 300 && response.status < 400 ? (response.headers.get('location') ?? undefined) : undefined;
  return { status: response.status, body: await response.text(), payload, ...(location === undefined ? {} : { location }) };
}

/** Why fetch failed: its cause (`connect ECONNREFUSED …`, `getaddrinfo ENOTFOUND …`) rather than "fetch failed". */
function failureOf(error: unknown): string {
  const cause = ((error as { cause?: unknown }).cause ?? error) as { message?: string; code?: string };
  return (cause.message || cause.code || String(cause)).replace(/\.$/, '');
}

function definedFields(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
