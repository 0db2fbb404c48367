import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OPENSMS_WEBHOOK_MIGRATIONS, OpenSmsWebhookModule } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookConsoleModule } from '@opensms/nestjs-webhooks/console';
import { OpenSmsWebhookAlertsModule } from '@opensms/nestjs-webhooks/alerts';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import { OpsAlertsListener } from './alerts/ops-alerts.listener';
import type { AppConfig } from './config/app.config';
import { consoleOptions } from './config/opensms-console.config';
import { openSmsWebhookOptionsFactory } from './config/opensms-webhook.config';
import { HealthController } from './health/health.controller';
import { SMS_MESSAGES_MIGRATIONS, SmsMessagesModule } from './messages/sms-messages.module';
import { MetricsModule } from './metrics/metrics.module';

/** Database connections: the library's worker holds one per batch in flight (2 by default), requests need the rest. */
const DATABASE_POOL_SIZE = 20;
/**
 * Longest wait for a new database connection. Without it node-postgres waits as long as the network
 * does (minutes for a server that vanished), and the pool's end on shutdown waits with it.
 */
const DATABASE_CONNECT_TIMEOUT_MS = 3000;

/** The example host application: OpenSMS webhooks keep its outbound SMS messages up to date. */
@Module({})
export class AppModule {
  /** The application for a configuration already checked by `validateAppConfig`. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // NOTE: the configuration is validated before Nest starts (the HTTP adapter depends on it);
        // ConfigService serves exactly that object, not process.env.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [() => config] }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (settings: ConfigService<AppConfig, true>) => ({
            type: 'postgres',
            url: settings.get('DATABASE_URL', { infer: true }),
            schema: settings.get('DATABASE_SCHEMA', { infer: true }),
            autoLoadEntities: true,
            migrations: [...OPENSMS_WEBHOOK_MIGRATIONS, ...SMS_MESSAGES_MIGRATIONS],
            migrationsRun: true,
            extra: { max: DATABASE_POOL_SIZE, connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS },
          }),
        }),
        OpenSmsWebhookModule.forRootAsync({
          inject: [ConfigService],
          useFactory: openSmsWebhookOptionsFactory,
          mode: config.OPENSMS_WEBHOOK_MODE,
        }),
        SmsMessagesModule,
        MetricsModule,
        // Dead events, bursts of bad signatures and a growing backlog as log lines (OpsAlertsListener).
        EventEmitterModule.forRoot(),
        OpenSmsWebhookAlertsModule.forRoot(),
        // The inbox console at /opensms, only when a token is configured.
        ...(config.OPENSMS_CONSOLE_TOKEN ? [OpenSmsWebhookConsoleModule.register(consoleOptions(config.OPENSMS_CONSOLE_TOKEN))] : []),
        TerminusModule,
      ],
      // GET /health and /health/ready (next to the webhook module, whose inbox and queue they check).
      controllers: [HealthController],
      providers: [OpsAlertsListener, OpenSmsWebhookHealthIndicator],
    };
  }
}
