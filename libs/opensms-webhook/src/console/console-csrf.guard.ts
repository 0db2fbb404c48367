import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CSRF_COOKIE, CSRF_FIELD } from './console.constants';
import { type ConsoleHttpRequest, type ConsoleResponse, formField, readCookie } from './console.http';

/** Request property holding the CSRF token that the page's forms carry. */
export const CSRF_TOKEN = Symbol('OPENSMS_CONSOLE_CSRF_TOKEN');

/** A request that passed {@link ConsoleCsrfGuard}. */
export type CsrfCheckedRequest = ConsoleHttpRequest & { [CSRF_TOKEN]: string };

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Protects the console's state-changing POSTs against cross-site requests (double-submit token):
 * a page gets a random token in a `SameSite=Strict`, `HttpOnly` cookie and in each of its forms; a
 * POST must carry both, equal (compared in constant time), and must not be announced by the
 * browser as cross-site. Anything else is answered 403 and changes nothing.
 */
@Injectable()
export class ConsoleCsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<CsrfCheckedRequest>();
    const cookie = readCookie(request, CSRF_COOKIE);
    const known = cookie !== undefined && TOKEN.test(cookie) ? cookie : undefined;
    if (request.method === 'GET' || request.method === 'HEAD') {
      request[CSRF_TOKEN] = known ?? this.issue(request, http.getResponse<ConsoleResponse>());
      return true;
    }
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new ForbiddenException('Cross-site request refused');
    }
    const submitted = formField(request, CSRF_FIELD);
    if (!known || !submitted || !sameToken(known, submitted)) {
      throw new ForbiddenException('Missing or wrong form token: reload the page and try again');
    }
    request[CSRF_TOKEN] = known;
    return true;
  }

  private issue(request: ConsoleHttpRequest, response: ConsoleResponse): string {
    const token = randomBytes(32).toString('base64url');
    const secure = request.protocol === 'https' ? '; Secure' : '';
    response.header('Set-Cookie', `${CSRF_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}`);
    return token;
  }
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
