import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { WebhookModuleMissingError } from '../errors/webhook-module-missing.error';
import { SmsEventQueries } from '../inbox/sms-event.queries';
import { FailureBurst } from '../internal/failure-burst';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { InboxFiguresCache } from './inbox-figures.cache';
import { OPENSMS_METRICS_OPTIONS } from './metrics.constants';
import type { ResolvedOpenSmsWebhookMetricsOptions } from './opensms-webhook-metrics-options.interface';
import { SmsWebhookMetricSet } from './sms-webhook.metrics';

/**
 * Feeds the metrics of the configured registry from the telemetry of the application's
 * `OpenSmsWebhookModule` (found once every module is created), and lets the gauges read its inbox.
 */
@Injectable()
export class SmsWebhookMetricsRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OpenSmsWebhookMetrics');
  private detach: (() => void)[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(OPENSMS_METRICS_OPTIONS) private readonly options: ResolvedOpenSmsWebhookMetricsOptions,
  ) {}

  onModuleInit(): void {
    let telemetry: SmsWebhookTelemetry;
    let queries: SmsEventQueries;
    try {
      telemetry = this.moduleRef.get(SmsWebhookTelemetry, { strict: false });
      queries = this.moduleRef.get(SmsEventQueries, { strict: false });
    } catch {
      throw new WebhookModuleMissingError('OpenSmsWebhookMetricsModule');
    }
    const metrics = SmsWebhookMetricSet.in(this.options.registry, this.options);
    const inbox = new InboxFiguresCache(queries, this.options, new FailureBurst(this.logger, 60_000));
    this.detach = [telemetry.observe(metrics), metrics.addInboxSource(inbox)];
  }

  onModuleDestroy(): void {
    for (const detach of this.detach) detach();
    this.detach = [];
  }
}
