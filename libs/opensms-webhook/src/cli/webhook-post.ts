import type { SignedWebhook } from '../testing/sign-webhook';
import { describeUrl } from './url';

/** What an endpoint answered to one signed call. */
export interface WebhookAnswer {
  status: number;
  body: string;
  /** `Location` of a redirect (3xx), which is never followed. */
  location?: string;
}

/**
 * POSTs one signed call to `url` and nowhere else: a redirect is the answer (with its
 * `location`), never followed, so the signed call cannot be sent on to another server. A server
 * that cannot be reached is named without the URL's credentials and query.
 */
export async function postSignedWebhook(url: string, signed: SignedWebhook): Promise<WebhookAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body, redirect: 'manual' });
  } catch (error) {
    throw new Error(`Cannot reach ${describeUrl(url)}: ${failureOf(error)}`, { cause: error });
  }
  const location = response.status >= 300 && response.status < 400 ? (response.headers.get('location') ?? undefined) : undefined;
  return { status: response.status, body: await response.text(), ...(location === undefined ? {} : { location }) };
}

/** Why fetch failed: its cause (`connect ECONNREFUSED …`, `getaddrinfo ENOTFOUND …`) rather than "fetch failed". */
function failureOf(error: unknown): string {
  const cause = ((error as { cause?: unknown }).cause ?? error) as { message?: string; code?: string };
  return (cause.message || cause.code || String(cause)).replace(/\.$/, '');
}
