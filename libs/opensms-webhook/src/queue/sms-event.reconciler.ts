import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { OPENSMS_RESOLVED_OPTIONS, SHUTDOWN_CLOSE_TIMEOUT_MS } from '../opensms-webhook.constants';
import { closeWithin } from '../internal/bounded-close';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsEventOutbox } from '../inbox/sms-event.outbox';
import { SmsEventQueries } from '../inbox/sms-event.queries';
import { SmsEventProducer } from './sms-event.producer';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { SmsEventRelay } from './sms-event.relay';

/** Most events re-enqueued in one sweep. */
const SWEEP_LIMIT = 500;

/**
 * Hands back to the relay every queued, unfinished event that no job will run: Redis was flushed
 * or lost a job, or a job ended while its row did not (attempts spent while the database was down,
 * a job stalled twice). Events never queued are the relay's own work, not this sweep's. Safe on any
 * number of instances: an event's job id is its inbox id, so a job is never doubled.
 */
@Injectable()
export class SmsEventReconciler implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;
  private stopping?: Promise<void>;

  constructor(
    private readonly queries: SmsEventQueries,
    private readonly producer: SmsEventProducer,
    private readonly outbox: SmsEventOutbox,
    private readonly relay: SmsEventRelay,
    private readonly telemetry: SmsWebhookTelemetry,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.worker.reconcileIntervalMs === 0) return;
    this.timer = setInterval(() => void this.reconcile().catch(() => undefined), this.options.worker.reconcileIntervalMs);
    this.timer.unref();
  }

  /**
   * Stops the timer as soon as the application closes; a sweep in progress gets
   * {@link SHUTDOWN_CLOSE_TIMEOUT_MS}, side by side with the worker's grace period (it holds no connection of its own).
   */
  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.stopping = this.sweeping && closeWithin(this.sweeping, SHUTDOWN_CLOSE_TIMEOUT_MS, () => undefined).then(() => undefined);
  }

  /** Waits for the sweep in progress, if any, before the queue client and the host's data source close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stopping;
  }

  /**
   * One sweep: hands unfinished events older than `olderThanMs` (default `worker.reconcileAfterMs`)
   * that have no live job to the relay. Resolves to how many it handed over.
   */
  reconcile(olderThanMs = this.options.worker.reconcileAfterMs): Promise<number> {
    this.sweeping ??= this.sweep(olderThanMs).finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweep(olderThanMs: number): Promise<number> {
    try {
      const ids = await this.queries.findStaleUnfinished(olderThanMs, SWEEP_LIMIT);
      const requeued = await this.outbox.requeue(await this.producer.withoutLiveJob(ids));
      if (requeued.length > 0) {
        this.logger.warn(messages.reconciled(requeued.length));
        this.relay.wake();
      }
      this.telemetry.reconcilerSwept({ at: new Date(), requeued: requeued.length });
      return requeued.length;
    } catch (error) {
      this.logger.warn(messages.reconcileFailed(error));
      throw error;
    }
  }
}
