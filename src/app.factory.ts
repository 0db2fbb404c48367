import type { INestApplication, LogLevel } from '@nestjs/common';
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
  const adapter = config.HTTP_ADAPTER === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(AppModule.forRoot(config), adapter, {
    rawBody: true,
    // NOTE: a failed start throws (Nest would exit the process), so the caller can stop what it started.
    abortOnError: false,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  if (options.shutdownHooks ?? true) app.enableShutdownHooks();
  describeApi(app);
  return { app, config };
}

/** Serves the app's OpenAPI 3.1 document, the OpenSMS webhook included, at `GET /docs/json`. */
function describeApi(app: INestApplication): void {
  const base = new DocumentBuilder().setTitle('Example SMS service').setOpenAPIVersion('3.1.0').build();
  const document = addOpenSmsWebhookToDocument(SwaggerModule.createDocument(app, base));
  SwaggerModule.setup('docs', app, document, { ui: false, raw: ['json'], jsonDocumentUrl: 'docs/json' });
}
