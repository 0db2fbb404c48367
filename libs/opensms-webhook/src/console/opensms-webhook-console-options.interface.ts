import type { CanActivate, Type } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';

/** What the console reads of a request (an Express or a Fastify request both fit). */
export interface OpenSmsWebhookConsoleRequest {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
  /** Set by authentication guards (Passport and others); the console's user when there is no `authorize`. */
  user?: unknown;
}

/**
 * Decides whether a request may use the console. Return the user (a name, or an object with a
 * `name`, `username`, `email` or `id`: it is written in the log of every action) to allow it;
 * return `false`, `null` or `undefined` to answer 401; throw an `HttpException` (e.g.
 * `ForbiddenException`) to answer with its status. Nothing of the console is rendered for a denied
 * request. A client (by `request.ip`) refused 10 times within a minute is answered 429 with
 * `Retry-After` until that minute has passed, without this function being asked.
 */
export type OpenSmsWebhookConsoleAuthorize = (request: OpenSmsWebhookConsoleRequest) => unknown | Promise<unknown>;

/**
 * Options of `OpenSmsWebhookConsoleModule.register()` / `registerAsync()` (the `useFactory` result).
 * An access check is required: `authorize` here, or `guards` next to them.
 */
export interface OpenSmsWebhookConsoleOptions {
  /**
   * The access check of every console request, run after `guards`. Required unless `guards` are given.
   */
  authorize?: OpenSmsWebhookConsoleAuthorize;
  /**
   * `WWW-Authenticate` header of a 401, e.g. `'Basic realm="OpenSMS console"'` to have browsers ask
   * for a user name and password when `authorize` checks Basic credentials.
   * @default none
   */
  challenge?: string;
  /**
   * Key material of the form tokens that protect the console's actions against cross-site requests:
   * the signing key is derived from it with HKDF-SHA256, so every process given the same value
   * accepts the tokens of the others (several processes behind a load balancer). At least 16
   * characters, kept as secret as the console's credentials (e.g. the console's shared token).
   * Without it, each process signs with 32 random bytes of its own: a form rendered by one process
   * is refused by another, and every form is refused after a restart until the page is reloaded.
   * @default 32 random bytes per process
   */
  csrfSecret?: string;
  /**
   * Events per search page.
   * @default 50
   */
  pageSize?: number;
  /**
   * Largest number of dead events one "replay all matching" action replays.
   * @default 10000
   */
  replayLimit?: number;
}

/** Console options that shape the module; given to `register()` with the others, or next to `useFactory`. */
export interface OpenSmsWebhookConsoleExtras {
  /**
   * Route of the console (under the host's global prefix, if any).
   * @default 'opensms'
   */
  path: string;
  /**
   * Nest guards of every console route (e.g. your `AuthGuard('jwt')`), run before `authorize`; a
   * guard returning `false` answers 403. Class guards are created in the console's module: give
   * instances when they need providers of yours. Without `authorize`, the user is `request.user`.
   * @default []
   */
  guards: (Type<CanActivate> | CanActivate)[];
}

/** Console options with every default applied. */
export interface ResolvedOpenSmsWebhookConsoleOptions {
  authorize?: OpenSmsWebhookConsoleAuthorize;
  challenge?: string;
  csrfSecret?: string;
  pageSize: number;
  replayLimit: number;
  /** Whether `guards` were given (they are the access check when `authorize` is not). */
  guarded: boolean;
}
