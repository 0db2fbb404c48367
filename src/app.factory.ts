import type { INestApplication, LogLevel } from '@nestjs/common';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { addOpenSmsWebhookToDocument } from '@opensms/nestjs-webhooks/openapi';
import { AppModule } from './app.module';
import { type AppConfig, type RawEnvironment, validateAppConfig } from './config/app.config';

/** Options of {@link createExampleApp}. */
export interface ExampleAppOptions {
  /** Environment to read the configuration from. @default process.env */
  environment?: RawEnvironment;
  /** Log levels shown. @default Nest's default levels */
  logger?: LogLevel[] | false;
  /** Close the app on SIGTERM / SIGINT (off when the caller stops it and more on a signal). @default true */
  shutdownHooks?: boolean;
}

/**
 * Creates (without listening) the example app: configuration checked first, raw bodies kept for
 * signature checks, shutdown hooks on so in-flight events finish on SIGTERM.
 */
export async function createExampleApp(options: ExampleAppOptions = {}): Promise<{ app: INestApplication; config: AppConfig }> {
  const config = validateAppConfig(options.environment ?? process.env);
  const adapter = config.HTTP_ADAPTER === 'fastify' ? createFastifyAdapter(config) : new ExpressAdapter();
  const app = await NestFactory.create(AppModule.forRoot(config), adapter, {
    rawBody: true,
    // NOTE: a failed start throws (Nest would exit the process), so the caller can stop what it started.
    abortOnError: false,
    // NOTE: on close, requests still open (one waiting for an unreachable database) are cut instead of waited for.
    forceCloseConnections: true,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  if (config.HTTP_ADAPTER === 'express') boundExpressRequests(app.getHttpServer(), config);
  if (options.shutdownHooks ?? true) app.enableShutdownHooks();
  describeApi(app);
  return { app, config };
}

/**
 * Fastify with the configured timeouts (its own defaults leave `requestTimeout` at 0: a stalled upload
 * would hold its connection for ever). `http` goes to Node's `http.createServer()`, which alone takes
 * the check interval.
 */
function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: config.HTTP_CONNECTIONS_CHECK_INTERVAL_MS,
    },
  });
}

/**
 * Gives the server Nest created for Express the configured timeouts instead of Node's (a request may
 * take 300 s). Node reads `connectionsCheckingInterval` when the server starts listening, so it is
 * set here, before `app.listen()`.
 */
function boundExpressRequests(server: Server, config: AppConfig): void {
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  // NOTE: set through http.createServer() only in Node's documentation; the property is what the server reads at listen().
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = config.HTTP_CONNECTIONS_CHECK_INTERVAL_MS;
}

/** Serves the app's OpenAPI 3.1 document, the OpenSMS webhook included, at `GET /docs/json`. */
function describeApi(app: INestApplication): void {
  const base = new DocumentBuilder().setTitle('Example SMS service').setOpenAPIVersion('3.1.0').build();
  const document = addOpenSmsWebhookToDocument(SwaggerModule.createDocument(app, base));
  SwaggerModule.setup('docs', app, document, { ui: false, raw: ['json'], jsonDocumentUrl: 'docs/json' });
}
