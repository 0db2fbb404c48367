export { OpenSmsWebhookMetricsModule } from './opensms-webhook-metrics.module';
export type { OpenSmsWebhookMetricsOptions } from './opensms-webhook-metrics-options.interface';
export { OPENSMS_METRICS_REGISTRY } from './metrics.constants';
export { OPENSMS_WEBHOOK_METRICS } from './sms-webhook.metrics';
export { InvalidMetricsOptionsError } from '../errors/invalid-metrics-options.error';
export { MetricNameTakenError } from '../errors/metric-name-taken.error';
