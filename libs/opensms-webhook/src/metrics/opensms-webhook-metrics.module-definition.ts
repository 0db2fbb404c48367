import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { OPENSMS_METRICS_OPTIONS, OPENSMS_METRICS_REGISTRY } from './metrics.constants';
import type { OpenSmsWebhookMetricsOptions, ResolvedOpenSmsWebhookMetricsOptions } from './opensms-webhook-metrics-options.interface';
import { resolveMetricsOptions } from './opensms-webhook-metrics.options';
import { SmsWebhookMetricsRecorder } from './sms-webhook-metrics.recorder';

export const { ConfigurableModuleClass: ConfigurableOpenSmsWebhookMetricsModule, MODULE_OPTIONS_TOKEN: OPENSMS_METRICS_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<OpenSmsWebhookMetricsOptions>({ moduleName: 'OpenSmsWebhookMetrics' })
    .setClassMethodName('forRoot')
    .setExtras({}, assembleMetricsModule)
    .build();

/** Adds the resolved options (checked at start-up), the registry token and the recorder. */
function assembleMetricsModule(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    providers: [
      ...(definition.providers ?? []),
      { provide: OPENSMS_METRICS_OPTIONS, useFactory: resolveMetricsOptions, inject: [OPENSMS_METRICS_MODULE_OPTIONS] },
      {
        provide: OPENSMS_METRICS_REGISTRY,
        useFactory: (options: ResolvedOpenSmsWebhookMetricsOptions) => options.registry,
        inject: [OPENSMS_METRICS_OPTIONS],
      },
      SmsWebhookMetricsRecorder,
    ],
    exports: [OPENSMS_METRICS_REGISTRY],
  };
}
