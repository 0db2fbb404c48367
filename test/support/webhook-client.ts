import { smsEventPayload, signWebhook, type SignWebhookOptions } from '@opensms/nestjs-webhooks/testing';
import { TEST_SECRET } from './test-app';

export interface WebhookResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** A payload as OpenSMS sends it, with defaults for the fields not given (the testing kit's). */
export const smsPayload = smsEventPayload;

/** POSTs raw bytes with the given headers. */
export async function postRaw(url: string, body: string | Buffer, headers: Record<string, string>): Promise<WebhookResponse> {
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Signs a payload as OpenSMS would and POSTs it. */
export function postSigned(
  url: string,
  payload: unknown,
  options: SignWebhookOptions & { secret?: string } = {},
): Promise<WebhookResponse> {
  const signed = signWebhook(payload, options.secret ?? TEST_SECRET, options);
  return postRaw(url, signed.body, signed.headers);
}
