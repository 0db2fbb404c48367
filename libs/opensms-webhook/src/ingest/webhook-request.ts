/** Incoming request headers, lower-cased as both Express and Fastify give them. */
export type WebhookRequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a signature verifier gets: headers and the exact bytes received. */
export interface SignedWebhookRequest {
  headers: WebhookRequestHeaders;
  rawBody: Buffer;
}

/** The single value of a header, or `undefined` when absent or repeated ambiguously. */
export function headerValue(headers: WebhookRequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

/** Whether a `Content-Type` denotes JSON (`application/json`, `application/*+json`, any parameters). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase();
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}
