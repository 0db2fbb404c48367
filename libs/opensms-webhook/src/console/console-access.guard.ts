import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { CONSOLE_USER, OPENSMS_CONSOLE_OPTIONS } from './console.constants';
import type { ConsoleHttpRequest, ConsoleResponse } from './console.http';
import type { ResolvedOpenSmsWebhookConsoleOptions } from './opensms-webhook-console-options.interface';

/** A request that passed the access check, with its user. */
export type AuthorizedConsoleRequest = ConsoleHttpRequest & { [CONSOLE_USER]: unknown };

/**
 * The console's access check, on every route after the host's `guards`: `authorize(request)` must
 * return a user, otherwise the answer is 401 (with the configured `challenge`) and nothing is rendered.
 */
@Injectable()
export class ConsoleAccessGuard implements CanActivate {
  constructor(@Inject(OPENSMS_CONSOLE_OPTIONS) private readonly options: ResolvedOpenSmsWebhookConsoleOptions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthorizedConsoleRequest>();
    const { authorize, challenge } = this.options;
    const user = authorize ? await authorize(request) : (request.user ?? true);
    if (user === false || user === null || user === undefined) {
      if (challenge) http.getResponse<ConsoleResponse>().header('WWW-Authenticate', challenge);
      throw new UnauthorizedException();
    }
    request[CONSOLE_USER] = user;
    return true;
  }
}

/** How a user returned by `authorize` (or set by a guard) is named in the log. */
export function describeConsoleUser(user: unknown): string {
  if (typeof user === 'string' || typeof user === 'number') return String(user);
  if (typeof user === 'object' && user !== null) {
    const named = user as Record<string, unknown>;
    for (const key of ['name', 'username', 'email', 'id', 'sub']) {
      const value = named[key];
      if (typeof value === 'string' || typeof value === 'number') return String(value);
    }
  }
  return 'an unnamed user';
}
