import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsEventQueries } from '../inbox/sms-event.queries';
import { SmsEventProducer } from './sms-event.producer';

/** Most events re-enqueued in one sweep. */
const SWEEP_LIMIT = 500;

/**
 * Puts back on the queue every stored, unfinished event that no job will run: Redis was down at
 * ingest, was flushed, lost a job, or a job ended while its row did not (attempts spent while the
 * database was down, a job stalled twice). Safe on any number of instances: an event's job id is
 * its inbox id, so a job is never doubled.
 */
@Injectable()
export class SmsEventReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    private readonly queries: SmsEventQueries,
    private readonly producer: SmsEventProducer,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.reconcileIntervalMs === 0) return;
    this.timer = setInterval(() => void this.reconcile().catch(() => undefined), this.options.reconcileIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): Promise<unknown> | void {
    clearInterval(this.timer);
    return this.sweeping;
  }

  /**
   * One sweep: enqueues unfinished events older than `olderThanMs` (default `reconcileAfterMs`)
   * that have no job. Resolves to how many were enqueued.
   */
  reconcile(olderThanMs = this.options.reconcileAfterMs): Promise<number> {
    this.sweeping ??= this.sweep(olderThanMs).finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweep(olderThanMs: number): Promise<number> {
    try {
      const ids = await this.queries.findStaleUnfinished(olderThanMs, SWEEP_LIMIT);
      const missing = await this.producer.withoutLiveJob(ids);
      await this.producer.requeue(missing);
      if (missing.length > 0) this.logger.warn(messages.reconciled(missing.length));
      return missing.length;
    } catch (error) {
      this.logger.warn(messages.reconcileFailed(error));
      throw error;
    }
  }
}
