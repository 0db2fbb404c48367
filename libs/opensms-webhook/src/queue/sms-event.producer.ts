import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DISPATCH_JOB_NAME, OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { MicroBatcher } from '../internal/micro-batcher';
import { withTimeout } from '../internal/with-timeout';
import { OwnedQueueConnection } from './queue-connection';
import { type SmsEventJobData, smsEventJobOptions } from './sms-event-job';

/**
 * Enqueues stored events. Never throws: an event that cannot be enqueued is already durable, and
 * the reconciler enqueues it later. Concurrent calls share one `addBulk` round trip.
 */
@Injectable()
export class SmsEventProducer implements OnApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');
  private readonly batcher = new MicroBatcher<string, void>((ids) => this.addBulk(ids));
  private lastErrorLoggedAt = 0;

  private readonly connection: OwnedQueueConnection;
  private readonly queue: Queue<SmsEventJobData>;

  constructor(@Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions) {
    // NOTE: a queue of its own, without an offline queue, so a Redis outage fails fast instead of
    // holding requests.
    this.connection = new OwnedQueueConnection(options, 'producer');
    this.queue = new Queue<SmsEventJobData>(options.queueName, {
      connection: this.connection.connection,
      prefix: options.queuePrefix,
    });
    this.queue.on('error', (error) => this.logThrottled(messages.redisError(error)));
  }

  /** Enqueues one event, waiting at most `enqueueTimeoutMs`. Resolves `false` when it could not. */
  async enqueue(eventId: string): Promise<boolean> {
    const { enqueueTimeoutMs } = this.options;
    try {
      await withTimeout(this.batcher.add(eventId), enqueueTimeoutMs, `Redis did not answer within ${enqueueTimeoutMs} ms`);
      return true;
    } catch (error) {
      this.logThrottled(messages.enqueueFailed(error));
      return false;
    }
  }

  /**
   * The ids among `eventIds` whose job will never run them again: no job at all, or a job that
   * already ended (`failed` after its last attempt, or `completed`) while the row is unfinished.
   */
  async withoutLiveJob(eventIds: readonly string[]): Promise<string[]> {
    const states = await Promise.all(eventIds.map((id) => this.queue.getJobState(id)));
    return eventIds.filter((_, index) => ['unknown', 'failed', 'completed'].includes(states[index]));
  }

  /** Replaces the jobs of re-opened events (a dead event's failed job would block a new one). */
  async requeue(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await Promise.all(eventIds.map((id) => this.queue.remove(id)));
    await this.addBulk(eventIds);
  }

  /** Stops every worker of this queue from taking new jobs (running ones finish). */
  pause(): Promise<void> {
    return this.queue.pause();
  }

  /** Lets workers take jobs again after {@link pause}. */
  resume(): Promise<void> {
    return this.queue.resume();
  }

  isPaused(): Promise<boolean> {
    return this.queue.isPaused();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }

  private async addBulk(ids: readonly string[]): Promise<void[]> {
    await this.queue.addBulk(
      ids.map((eventId) => ({
        name: DISPATCH_JOB_NAME,
        data: { eventId },
        opts: smsEventJobOptions(eventId, this.options),
      })),
    );
    return ids.map(() => undefined);
  }

  private logThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLoggedAt < 5000) return;
    this.lastErrorLoggedAt = now;
    this.logger.warn(message);
  }
}
