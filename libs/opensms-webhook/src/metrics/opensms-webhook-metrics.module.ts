import { type DynamicModule, Module } from '@nestjs/common';
import type { OpenSmsWebhookMetricsOptions } from './opensms-webhook-metrics-options.interface';
import { ConfigurableOpenSmsWebhookMetricsModule } from './opensms-webhook-metrics.module-definition';

/**
 * Prometheus metrics of the application's `OpenSmsWebhookModule` (calls, attempts, handlers, lag,
 * backlog), registered in your prom-client registry; serve the registry yourself (e.g. `GET /metrics`,
 * or `@willsoto/nestjs-prometheus`). Needs the optional peer `prom-client`.
 *
 * ```ts
 * OpenSmsWebhookMetricsModule.forRoot()                        // prom-client's default register
 * OpenSmsWebhookMetricsModule.forRoot({ registry: myRegistry })
 * OpenSmsWebhookMetricsModule.forRootAsync({
 *   inject: [MY_REGISTRY],
 *   useFactory: (registry: Registry) => ({ registry }),
 * })
 * ```
 * The registry in use is injectable as `OPENSMS_METRICS_REGISTRY` where this module is imported.
 */
@Module({})
export class OpenSmsWebhookMetricsModule extends ConfigurableOpenSmsWebhookMetricsModule {
  /** The metrics with these options; every one has a default. */
  static forRoot(options: OpenSmsWebhookMetricsOptions = {}): DynamicModule {
    return super.forRoot(options);
  }
}
