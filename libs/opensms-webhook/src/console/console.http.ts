import type { OpenSmsWebhookConsoleRequest } from './opensms-webhook-console-options.interface';

/** What the console uses of an Express response or a Fastify reply (both have these two methods). */
export interface ConsoleResponse {
  header(name: string, value: string): unknown;
  status(code: number): unknown;
}

/** A console request as the adapters give it (Express also keeps the `originalUrl`). */
export type ConsoleHttpRequest = OpenSmsWebhookConsoleRequest & {
  originalUrl?: string;
  protocol?: string;
  body?: unknown;
};

/** The request's path, without its query. */
export function requestPath(request: ConsoleHttpRequest): string {
  return (request.originalUrl ?? request.url).split('?')[0];
}

/**
 * The console's root URL path as the browser sees it (global prefix included), from a request
 * whose route has `depth` segments below the root: `/api/opensms/events/1` at depth 2 gives
 * `/api/opensms`.
 */
export function consoleRoot(request: ConsoleHttpRequest, depth: number): string {
  const segments = requestPath(request).replace(/\/+$/, '').split('/');
  return segments.slice(0, segments.length - depth).join('/');
}

/** A cookie of the request, or `undefined`. */
export function readCookie(request: ConsoleHttpRequest, name: string): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

/** A field of an URL-encoded form body (Express and Fastify both parse it into an object). */
export function formField(request: ConsoleHttpRequest, name: string): string | undefined {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
