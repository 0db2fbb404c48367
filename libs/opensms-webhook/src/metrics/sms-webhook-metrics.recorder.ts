import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { OpenSmsWebhookCore } from '../opensms-webhook.core';
import { FailureBurst } from '../internal/failure-burst';
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
    const { telemetry, queries } = OpenSmsWebhookCore.in(this.moduleRef, 'OpenSmsWebhookMetricsModule');
    const metrics = SmsWebhookMetricSet.in(this.options.registry, this.options);
    const inbox = new InboxFiguresCache(queries, this.options, new FailureBurst(this.logger, 60_000));
    this.detach = [telemetry.observe(metrics), metrics.addInboxSource(inbox)];
  }

  onModuleDestroy(): void {
    for (const detach of this.detach) detach();
    this.detach = [];
  }
}
