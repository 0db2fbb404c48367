/** Injection token of the resolved console options. */
export const OPENSMS_CONSOLE_OPTIONS = Symbol('OPENSMS_CONSOLE_OPTIONS');

/** Request property under which the access guard leaves the console's user. */
export const CONSOLE_USER = Symbol('OPENSMS_CONSOLE_USER');

/** Cookie and form field of the cross-site request forgery token. */
export const CSRF_COOKIE = 'opensms_console_csrf';
export const CSRF_FIELD = '_csrf';
/**
 * The token's cookie over TLS: a browser takes a `__Host-` cookie only from a secure origin, with
 * `Path=/` and without `Domain`, so a sibling subdomain can neither set nor replace it.
 */
export const CSRF_TLS_COOKIE = `__Host-${CSRF_COOKIE}`;

/**
 * Headers of every console page: nothing but the console's own stylesheet may load or run, the
 * page is never framed or cached, and its address goes to no other origin. `same-origin`, not
 * `no-referrer`: under `no-referrer` a browser sends `Origin: null` with the page's form posts, and
 * the console checks that origin.
 */
export const CONSOLE_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Refused console requests (401 or 403 from `authorize`) one client may make within {@link CONSOLE_ACCESS_WINDOW_MS}. */
export const CONSOLE_ACCESS_FAILURE_LIMIT = 10;
/** The window of {@link CONSOLE_ACCESS_FAILURE_LIMIT}, from a client's first refused request: one minute. */
export const CONSOLE_ACCESS_WINDOW_MS = 60_000;
/** Clients whose refused requests are counted at once; past it, the oldest is forgotten. */
export const CONSOLE_ACCESS_MAX_CLIENTS = 10_000;
