import type { ConfigService } from '@nestjs/config';
import { type OpenSmsWebhookModuleOptions, redisOptionsFromUrl } from '@opensms/nestjs-webhooks';
import type { AppConfig } from './app.config';

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
  };
}
