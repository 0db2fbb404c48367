import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { type AuthorizedConsoleRequest, describeConsoleUser } from './console-access.guard';
import { ConsoleCsrfTokens, sameText } from './console-csrf.tokens';
import { CONSOLE_USER, CSRF_COOKIE, CSRF_FIELD, CSRF_TLS_COOKIE } from './console.constants';
import { type ConsoleHttpRequest, type ConsoleResponse, formField, readCookie, requestOrigin, servedOverTls } from './console.http';

/** Request property holding the CSRF token that the page's forms carry. */
export const CSRF_TOKEN = Symbol('OPENSMS_CONSOLE_CSRF_TOKEN');

/** A request that passed {@link ConsoleCsrfGuard}. */
export type CsrfCheckedRequest = ConsoleHttpRequest & { [CSRF_TOKEN]: string };

/**
 * Protects the console's state-changing POSTs against cross-site requests. A page gets a token
 * bound to the request's credential and signed by the server ({@link ConsoleCsrfTokens}), in a
 * `SameSite=Strict`, `HttpOnly` cookie (`__Host-` and `Secure` over TLS) and in each of its forms.
 * A POST must not be announced by the browser as cross-site (`Sec-Fetch-Site`), must come from the
 * console's own origin (`Origin`, else `Referer`, when the client sends either), and must carry the
 * cookie and the form field, equal, with a token issued for its credential. Anything else is
 * answered 403 and changes nothing.
 */
@Injectable()
export class ConsoleCsrfGuard implements CanActivate {
  constructor(private readonly tokens: ConsoleCsrfTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<CsrfCheckedRequest & AuthorizedConsoleRequest>();
    const tls = servedOverTls(request);
    const cookieName = tls ? CSRF_TLS_COOKIE : CSRF_COOKIE;
    const credential = credentialOf(request);
    const cookie = readCookie(request, cookieName);
    const known = cookie !== undefined && this.tokens.verify(cookie, credential) ? cookie : undefined;
    if (request.method === 'GET' || request.method === 'HEAD') {
      request[CSRF_TOKEN] = known ?? this.issue(http.getResponse<ConsoleResponse>(), cookieName, tls, credential);
      return true;
    }
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new ForbiddenException('Cross-site request refused');
    }
    if (!fromOwnOrigin(request)) {
      throw new ForbiddenException(
        "Cross-origin request refused: the console's forms post only from its own pages (behind a reverse proxy, set " +
          "Express's trust proxy or Fastify's trustProxy, so that the request's protocol and host are the ones the browser used)",
      );
    }
    const submitted = formField(request, CSRF_FIELD);
    if (!known || !submitted || !sameText(known, submitted)) {
      throw new ForbiddenException('Missing or wrong form token: reload the page and try again');
    }
    request[CSRF_TOKEN] = known;
    return true;
  }

  private issue(response: ConsoleResponse, name: string, tls: boolean, credential: string): string {
    const token = this.tokens.issue(credential);
    response.header('Set-Cookie', `${name}=${token}; Path=/; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`);
    return token;
  }
}

/**
 * What a form token is bound to: the request's `Authorization` header (Basic or Bearer
 * credentials) and the user the access check let in.
 */
function credentialOf(request: AuthorizedConsoleRequest): string {
  return `${request.headers.authorization ?? ''}\n${describeConsoleUser(request[CONSOLE_USER])}`;
}

/**
 * Whether a POST comes from the console's own origin: its `Origin` when it has one (`null`
 * included), else the origin of its `Referer`. A request with neither is not refused here: browsers
 * send `Origin` with every form POST, so it comes from a client that is not a browser, and it still
 * needs the form token.
 */
function fromOwnOrigin(request: ConsoleHttpRequest): boolean {
  const origin = request.headers.origin;
  const referer = request.headers.referer;
  const claimed = origin ?? referer;
  if (claimed === undefined) return true;
  const own = requestOrigin(request);
  return own !== undefined && originOf(claimed) === own;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
