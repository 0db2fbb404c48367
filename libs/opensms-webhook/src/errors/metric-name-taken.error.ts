/**
 * The Prometheus registry already holds a metric of one of the library's names that the library did
 * not create there (another library, or the same name registered by hand).
 */
export class MetricNameTakenError extends Error {
  constructor(readonly metric: string) {
    super(
      `The Prometheus registry already has a metric named ${metric} that OpenSmsWebhookMetricsModule did not create. ` +
        'Remove the other one, or give the module a registry of its own: OpenSmsWebhookMetricsModule.forRoot({ registry }).',
    );
    this.name = 'MetricNameTakenError';
  }
}
