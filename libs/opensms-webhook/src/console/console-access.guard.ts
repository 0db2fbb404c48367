import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConsoleAccessRefusals } from './console-access.refusals';
import { type ConsoleClientRequest, consoleClientOf } from './console-access.throttle';
import { CONSOLE_USER, OPENSMS_CONSOLE_OPTIONS } from './console.constants';
import type { ConsoleHttpRequest, ConsoleResponse } from './console.http';
import type { ResolvedOpenSmsWebhookConsoleOptions } from './opensms-webhook-console-options.interface';
import { messages } from '../opensms-webhook.messages';

/** A request that passed the access check, with its user. */
export type AuthorizedConsoleRequest = ConsoleHttpRequest & ConsoleClientRequest & { [CONSOLE_USER]: unknown };

/**
 * The console's access check, on every route after the host's `guards`: `authorize(request)` must
 * return a user, otherwise the answer is 401 (with the configured `challenge`) and nothing is rendered.
 * A client (by address) refused 10 times within a minute (`CONSOLE_ACCESS_FAILURE_LIMIT`) is
 * answered 429 with `Retry-After` until the window has passed, without `authorize` being asked:
 * the right credentials included, so that guessing learns nothing while it is held off.
 */
@Injectable()
export class ConsoleAccessGuard implements CanActivate {
  constructor(
    @Inject(OPENSMS_CONSOLE_OPTIONS) private readonly options: ResolvedOpenSmsWebhookConsoleOptions,
    private readonly refusals: ConsoleAccessRefusals,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthorizedConsoleRequest>();
    const { authorize, challenge } = this.options;
    if (!authorize) {
      request[CONSOLE_USER] = request.user ?? true;
      return true;
    }
    const client = consoleClientOf(request);
    const retryAfter = this.refusals.heldOff(client);
    if (retryAfter > 0) {
      http.getResponse<ConsoleResponse>().header('Retry-After', String(retryAfter));
      throw new HttpException(messages.consoleTooManyRefusals, HttpStatus.TOO_MANY_REQUESTS);
    }
    let user: unknown;
    try {
      user = await authorize(request);
    } catch (error) {
      if (isRefusal(error)) this.refusals.refused(client);
      throw error;
    }
    if (user === false || user === null || user === undefined) {
      this.refusals.refused(client);
      if (challenge) http.getResponse<ConsoleResponse>().header('WWW-Authenticate', challenge);
      throw new UnauthorizedException();
    }
    this.refusals.allowed();
    request[CONSOLE_USER] = user;
    return true;
  }
}

/** Whether `authorize` threw a refusal (401 or 403), rather than failing (its database down, a bug). */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof HttpException)) return false;
  const status = error.getStatus();
  return status === HttpStatus.UNAUTHORIZED || status === HttpStatus.FORBIDDEN;
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
