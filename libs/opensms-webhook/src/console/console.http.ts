import type { OpenSmsWebhookConsoleRequest } from './opensms-webhook-console-options.interface';

/** What the console uses of an Express response or a Fastify reply (both have these two methods). */
export interface ConsoleResponse {
  header(name: string, value: string): unknown;
  status(code: number): unknown;
}

/**
 * A console request as the adapters give it (Express also keeps the `originalUrl`). `protocol` and
 * `host` are the adapter's, as its trust-proxy setting resolves them (Express `trust proxy`, Fastify
 * `trustProxy`): the connection's own unless the proxy in front is trusted.
 */
export type ConsoleHttpRequest = OpenSmsWebhookConsoleRequest & {
  originalUrl?: string;
  protocol?: string;
  host?: string;
  body?: unknown;
};

/** The scheme and host of an absolute-form request target (`GET http://host/path HTTP/1.1`). */
const ABSOLUTE_FORM = /^[a-z][a-z\d+.-]*:\/\/[^/]*/i;

/**
 * The request's path, without its query. Of an absolute-form target, which HTTP/1.1 servers must
 * accept and route by its path, only the path is kept: the console never takes a scheme or a host
 * from the request.
 */
export function requestPath(request: ConsoleHttpRequest): string {
  return (request.originalUrl ?? request.url).split('?')[0].replace(ABSOLUTE_FORM, '');
}

/**
 * The console's root URL path as the browser sees it (global prefix included), from a request
 * whose route has `depth` segments below the root: `/api/opensms/events/1` at depth 2 gives
 * `/api/opensms`. Every link and redirect of the console starts with it, so it is always a path on
 * the host the browser asked: repeated slashes collapse and backslashes are encoded, so that it
 * never reads as another host (`//host`, `/\host`).
 */
export function consoleRoot(request: ConsoleHttpRequest, depth: number): string {
  const segments = requestPath(request)
    .split('/')
    .filter((segment) => segment !== '');
  return segments
    .slice(0, segments.length - depth)
    .map((segment) => `/${segment.replaceAll('\\', '%5C')}`)
    .join('');
}

/** Whether the browser reached the console over TLS (`https`, by the adapter's trust-proxy setting). */
export function servedOverTls(request: ConsoleHttpRequest): boolean {
  return request.protocol === 'https';
}

/**
 * The origin the browser addressed (`https://ops.example.com`), from the request's protocol and
 * host; `undefined` when the request names no host, or something that is not one. Only compared
 * with the origin the browser says a request came from, never written into a page or a link.
 */
export function requestOrigin(request: ConsoleHttpRequest): string | undefined {
  const host = typeof request.host === 'string' && request.host !== '' ? request.host : request.headers.host;
  if (!host || /[/\\?#@]/.test(host)) return undefined;
  try {
    return new URL(`${servedOverTls(request) ? 'https' : 'http'}://${host}`).origin;
  } catch {
    return undefined;
  }
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

/** Every value of a field that a form may repeat (checkboxes), in the order sent; none when absent. */
export function formFields(request: ConsoleHttpRequest, name: string): string[] {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return [];
  const value = (body as Record<string, unknown>)[name];
  const values = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string');
}
