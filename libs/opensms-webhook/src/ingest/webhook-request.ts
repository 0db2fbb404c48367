import type { WebhookRequestHeaders } from '../opensms-webhook-verifier.interface';

/** The single value of a header, or `undefined` when absent or repeated ambiguously. */
export function headerValue(headers: WebhookRequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

/**
 * Whether a `Content-Type` is `application/json` (any parameters). Suffixes such as
 * `application/vnd.x+json` are refused: neither Express's nor Fastify's default parser keeps their
 * raw body, so they could not be verified.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}
