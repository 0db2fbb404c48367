import { ConfigurableModuleBuilder, type DynamicModule, Module } from '@nestjs/common';
import { OPENSMS_ALERTS_OPTIONS } from './opensms-webhook-alerts.constants';
import type { OpenSmsWebhookAlertsOptions } from './opensms-webhook-alerts-options.interface';
import { resolveAlertsOptions } from './opensms-webhook-alerts.options';
import { OpenSmsWebhookAlerts } from './opensms-webhook.alerts';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<OpenSmsWebhookAlertsOptions>({
  moduleName: 'OpenSmsWebhookAlerts',
})
  .setClassMethodName('forRoot')
  .build();

/**
 * Emits the webhook pipeline's alerts through `@nestjs/event-emitter` (import
 * `EventEmitterModule.forRoot()` and `OpenSmsWebhookModule` in the same application):
 * `opensms.event.dead`, `opensms.signature.failures`, `opensms.backlog` (see `OPENSMS_ALERTS`).
 *
 * ```ts
 * imports: [EventEmitterModule.forRoot(), OpenSmsWebhookModule.forRoot({ secret }), OpenSmsWebhookAlertsModule.forRoot()]
 * ```
 */
@Module({
  providers: [{ provide: OPENSMS_ALERTS_OPTIONS, useFactory: resolveAlertsOptions, inject: [MODULE_OPTIONS_TOKEN] }, OpenSmsWebhookAlerts],
  exports: [OpenSmsWebhookAlerts],
})
export class OpenSmsWebhookAlertsModule extends ConfigurableModuleClass {
  /** Alerts with the given thresholds (every option has a default). */
  static forRoot(options: OpenSmsWebhookAlertsOptions = {}): DynamicModule {
    return super.forRoot(options);
  }
}
