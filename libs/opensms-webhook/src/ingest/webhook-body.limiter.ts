import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import type { IngestAdmission } from './ingest-admission';
import { WebhookCall, type WebhookHttpRequest } from './webhook-call';
import { headerValue, isJsonContentType } from './webhook-request';

/** Node.js's own `requestTimeout` (5 minutes): this long or longer is far more than a webhook call takes. */
const NODE_REQUEST_TIMEOUT_MS = 300_000;

type Next = (error?: unknown) => void;
type Middleware = (request: IncomingMessage & { path?: string; rawBody?: Buffer }, response: ServerResponse, next: Next) => void;

type FastifyHook = (request: WebhookHttpRequest, reply: { statusCode: number }, done: () => void) => void;

interface FastifyReply {
  code(status: number): FastifyReply;
  headers(values: Record<string, string>): FastifyReply;
  send(payload: string): FastifyReply;
}

type FastifyRequestHook = (request: WebhookHttpRequest, reply: FastifyReply, done: () => void) => void;

interface FastifyRouteOptions {
  method: string | string[];
  url: string;
  bodyLimit?: number;
  onRequest?: FastifyRequestHook | FastifyRequestHook[];
  onResponse?: FastifyHook | FastifyHook[];
}

/**
 * The front of the webhook route, before the framework reads a body. First it asks
 * {@link IngestAdmission} whether the process can take the call, and answers a refused one 503 at
 * once, unread (an `onRequest` hook of the route on Fastify, the first middleware on Express). Then it
 * makes the framework itself stop reading a webhook body at `ingest.bodyLimitBytes`, so that no more is
 * ever buffered: a route-level `bodyLimit` on Fastify, a JSON parser with that `limit` in front of
 * the application's own on Express (it reads the route's JSON body itself and keeps the raw bytes the signature is checked over). It
 * warns about a host set-up that still lets uploads stall for ever or for minutes (at start-up), or whose own parser reads the
 * route's bodies first (at the first such call).
 *
 * Installed while the application is created (before its routes and parsers), by {@link install}.
 */
@Injectable()
export class WebhookBodyLimiter implements OnApplicationBootstrap {
  private readonly logger = new Logger('OpenSmsWebhook');
  private limitedRoutes = 0;
  private parserFirstWarned = false;
  private readonly routePath: string;

  private constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly options: ResolvedOpenSmsWebhookOptions,
    private readonly telemetry: SmsWebhookTelemetry,
    private readonly admission: IngestAdmission,
  ) {
    this.routePath = `/${options.path.replace(/^\/+|\/+$/g, '')}`;
  }

  /** Factory of the provider: hooks the admission and the limit into the HTTP adapter before routes are registered. */
  static install(
    adapterHost: HttpAdapterHost,
    options: ResolvedOpenSmsWebhookOptions,
    telemetry: SmsWebhookTelemetry,
    admission: IngestAdmission,
  ): WebhookBodyLimiter {
    const limiter = new WebhookBodyLimiter(adapterHost, options, telemetry, admission);
    const adapter = adapterHost.httpAdapter;
    if (adapter?.getType() === 'fastify') limiter.limitFastifyRoute();
    if (adapter?.getType() === 'express') limiter.limitExpressRoute();
    return limiter;
  }

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    const type = adapter?.getType();
    if (type !== 'fastify' && type !== 'express') return;
    if (this.limitedRoutes === 0) this.logger.warn(messages.bodyLimitNotApplied(type, this.options.ingest.bodyLimitBytes));
    const server = adapter.getHttpServer() as Server | undefined;
    if (server?.requestTimeout === 0) {
      this.logger.warn(messages.unboundedRequestTimeout(type));
    } else if (server && server.requestTimeout >= NODE_REQUEST_TIMEOUT_MS) {
      this.logger.warn(messages.longRequestTimeout(type, server.requestTimeout));
    }
  }

  /**
   * Whether a request path reaches the webhook route, by the router's own rules: never a trailing
   * slash of difference, and on Express no case either unless the app enables `case sensitive routing`.
   */
  private matches(url: string, caseSensitive = true): boolean {
    const path = url.split('?', 1)[0].replace(/\/+$/, '');
    const [candidate, route] = caseSensitive ? [path, this.routePath] : [path.toLowerCase(), this.routePath.toLowerCase()];
    return candidate === route || candidate.endsWith(route);
  }

  private limitFastifyRoute(): void {
    const instance = this.adapterHost.httpAdapter.getInstance() as {
      addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): void;
    };
    instance.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('POST') || !this.matches(route.url)) return;
      route.bodyLimit = Math.min(route.bodyLimit ?? Infinity, this.options.ingest.bodyLimitBytes);
      // NOTE: Fastify refuses the body before the guard runs; this is where that 413 can be seen.
      // A 413 of the guard itself (it began the call) was reported with the call.
      const reportTooLarge: FastifyHook = (request, reply, done) => {
        if (reply.statusCode === 413 && WebhookCall.of(request) === undefined) this.reportTooLarge();
        done();
      };
      const admit: FastifyRequestHook = (request, reply, done) => {
        if (this.admission.admits()) return done();
        const { status, headers, body } = this.admission.refusal;
        reply.code(status).headers(headers).send(body);
      };
      route.onRequest = [admit, ...[route.onRequest ?? []].flat()];
      route.onResponse = [...[route.onResponse ?? []].flat(), reportTooLarge];
      this.limitedRoutes += 1;
    });
  }

  private limitExpressRoute(): void {
    const instance = this.adapterHost.httpAdapter.getInstance() as {
      use(middleware: Middleware): void;
      enabled?(setting: string): boolean;
    };
    const openSmsWebhookBodyLimit: Middleware = (request, response, next) => {
      const route =
        request.method === 'POST' && this.matches(request.path ?? request.url ?? '', instance.enabled?.('case sensitive routing') === true);
      if (!route) return next();
      if (!this.admission.admits()) {
        const { status, headers, body } = this.admission.refusal;
        response.writeHead(status, headers).end(body);
        return;
      }
      if (isJsonContentType(headerValue(request.headers, 'content-type'))) this.readLimited(request, response, next);
      else next();
    };
    instance.use(openSmsWebhookBodyLimit);
    this.limitedRoutes += 1;
  }

  /**
   * Reads the body up to the limit and parses it as the host's JSON parser would (keeping the raw
   * bytes); past the limit it answers 413 at once and closes the connection, reading no more.
   */
  private readLimited(
    request: IncomingMessage & { body?: unknown; rawBody?: Buffer; _body?: boolean },
    response: ServerResponse,
    next: Next,
  ): void {
    const limit = this.options.ingest.bodyLimitBytes;
    if (request.readableEnded) {
      // NOTE: a parser of the host read the body before this limit could (it was added to the Express instance itself).
      if (!this.parserFirstWarned) this.logger.warn(messages.bodyParserBeforeLimit(limit));
      this.parserFirstWarned = true;
      return next();
    }
    const tooLarge = () => {
      this.reportTooLarge();
      request.pause();
      response.setHeader('Connection', 'close');
      response.once('finish', () => request.socket.destroy());
      next(httpError(413, `Body exceeds the limit of ${limit} bytes`, 'entity.too.large'));
    };
    if (Number(headerValue(request.headers, 'content-length') ?? 0) > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        request.off('data', onData).off('end', onEnd);
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const rawBody = Buffer.concat(chunks);
      request.rawBody = rawBody;
      // NOTE: body-parser 1 (Express 4, NestJS 10) would read the ended stream again unless told it was parsed; body-parser 2 sees it ended.
      request._body = true;
      if (rawBody.length === 0) return next();
      try {
        request.body = JSON.parse(rawBody.toString('utf8'));
      } catch (error) {
        return next(httpError(400, (error as Error).message, 'entity.parse.failed'));
      }
      next();
    };
    request.on('data', onData).on('end', onEnd).on('error', next);
  }

  private reportTooLarge(): void {
    this.telemetry.callAnswered({ outcome: 'too_large', seconds: null });
  }
}

/** An error as Express's body parsers raise them, so that the host's error handling answers it. */
function httpError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}
