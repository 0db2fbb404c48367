import { type DynamicModule, Module } from '@nestjs/common';
import type { OpenSmsWebhookModuleAsyncOptions } from './opensms-webhook-options.interface';
import { ConfigurableOpenSmsWebhookModule } from './opensms-webhook.module-definition';

/**
 * Receives OpenSMS webhooks: verifies each call, stores it durably in PostgreSQL, and hands it to
 * your `@OnSmsEvent()` handlers through a BullMQ queue, exactly once per handler.
 *
 * ```ts
 * OpenSmsWebhookModule.forRoot({ secret: process.env.OPENSMS_WEBHOOK_SECRET })
 * OpenSmsWebhookModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ secret: config.getOrThrow('OPENSMS_WEBHOOK_SECRET') }),
 * })
 * ```
 * The host must register TypeORM (with `autoLoadEntities: true`, or `OPENSMS_WEBHOOK_ENTITIES` in its
 * `entities`; else the start-up fails with `InboxEntitiesMissingError`) and create the application
 * with `{ rawBody: true }`.
 */
@Module({})
export class OpenSmsWebhookModule extends ConfigurableOpenSmsWebhookModule {
  /** Options from a factory (e.g. `ConfigService`); the options that shape the module go next to it. */
  static forRootAsync(options: OpenSmsWebhookModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}
