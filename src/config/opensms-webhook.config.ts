import type { ConfigService } from '@nestjs/config';
import type { OpenSmsWebhookModuleOptions } from '@opensms/nestjs-webhooks';
import type { RedisOptions } from 'bullmq';
import type { AppConfig } from './app.config';

/** ioredis options of a `redis://[user:password@]host:port[/db]` (or `rediss://`) URL. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** `OpenSmsWebhookModule.forRootAsync()` factory: the library's options from the app's configuration. */
export function openSmsWebhookOptionsFactory(config: ConfigService<AppConfig, true>): OpenSmsWebhookModuleOptions {
  const backend = config.get('OPENSMS_QUEUE_BACKEND', { infer: true });
  return {
    secret: config.get('OPENSMS_WEBHOOK_SECRET', { infer: true }),
    queueBackend: backend,
    queuePrefix: config.get('OPENSMS_QUEUE_PREFIX', { infer: true }),
    ...(backend === 'postgres'
      ? {
          postgresQueue: {
            connectionString: config.get('DATABASE_URL', { infer: true }),
            schema: config.get('OPENSMS_QUEUE_SCHEMA', { infer: true }),
          },
        }
      : { redis: redisOptionsFromUrl(config.get('REDIS_URL', { infer: true })) }),
  };
}
