import type { ConfigService } from '@nestjs/config';
import { type OpenSmsWebhookModuleOptions, redisOptionsFromUrl } from '@opensms/nestjs-webhooks';
import type { AppConfig } from './app.config';

/**
 * How long in-flight events may finish on SIGTERM (`worker.shutdownGraceMs`, the library's default); the
 * app ends within this and 5 s more (see `src/main.ts`).
 */
export const SHUTDOWN_GRACE_MS = 10_000;

/** `OpenSmsWebhookModule.forRootAsync()` factory: the library's options from the app's configuration. */
export function openSmsWebhookOptionsFactory(config: ConfigService<AppConfig, true>): OpenSmsWebhookModuleOptions {
  const backend = config.get('OPENSMS_QUEUE_BACKEND', { infer: true });
  return {
    secret: config.get('OPENSMS_WEBHOOK_SECRET', { infer: true }),
    queue: {
      backend,
      prefix: config.get('OPENSMS_QUEUE_PREFIX', { infer: true }),
      ...(backend === 'postgres'
        ? {
            postgres: {
              connectionString: config.get('DATABASE_URL', { infer: true }),
              schema: config.get('OPENSMS_QUEUE_SCHEMA', { infer: true }),
            },
          }
        : { connection: redisOptionsFromUrl(config.get('REDIS_URL', { infer: true })) }),
    },
    worker: { shutdownGraceMs: SHUTDOWN_GRACE_MS },
  };
}
