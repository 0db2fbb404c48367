import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type IQueueBackend, Queue } from 'bullmq';
import { DISPATCH_JOB_NAME, OPENSMS_RESOLVED_OPTIONS, SHUTDOWN_CLOSE_TIMEOUT_MS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import type { UnqueuedSmsEvent } from '../inbox/sms-event.outbox';
import { closeWithin } from '../internal/bounded-close';
import { withTimeout } from '../internal/with-timeout';
import { OwnedQueueConnection } from './queue-connection';
import { type SmsEventJobData, smsEventJobOptions } from './sms-event-job';

/** Longest wait for the queue to take a batch of jobs; the events stay stored and unqueued past it. */
const ENQUEUE_TIMEOUT_MS = 1000;

/**
 * The module's own BullMQ `Queue` of the inbox (worker processes only: ingest never touches the
 * queue). Created with its backend passed explicitly and closed here, without waiting for Redis.
 */
@Injectable()
export class SmsEventProducer implements OnApplicationShutdown {
  private readonly connection: OwnedQueueConnection;
  private readonly queue: Queue<SmsEventJobData, unknown, string, SmsEventJobData, unknown, string, IQueueBackend>;

  constructor(@Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions) {
    this.connection = new OwnedQueueConnection(options, 'relay');
    this.queue = new Queue(
      options.queueName,
      { connection: this.connection.connection, prefix: options.queue.prefix },
      this.connection.backend,
    );
  }

  /** Reports queue connection errors (they are also thrown by the calls that meet them). */
  onError(listener: (error: Error) => void): void {
    this.queue.on('error', listener);
  }

  /**
   * Adds the jobs of stored events in one `addBulk`, waiting at most {@link ENQUEUE_TIMEOUT_MS} in all; an
   * event's job id is its inbox id, so adding it twice is a no-op. Events to `replace` have their
   * ended job removed first; one whose job cannot be removed (still running) is left out. Resolves
   * to the ids whose job is now on the queue.
   */
  add(events: readonly UnqueuedSmsEvent[]): Promise<string[]> {
    return withTimeout(this.addNow(events), ENQUEUE_TIMEOUT_MS, `the queue did not answer within ${ENQUEUE_TIMEOUT_MS} ms`);
  }

  private async addNow(events: readonly UnqueuedSmsEvent[]): Promise<string[]> {
    const replaced = events.filter((event) => event.replace);
    const removals = await Promise.allSettled(replaced.map((event) => this.queue.remove(event.id)));
    const kept = new Set(replaced.filter((_, index) => removals[index].status === 'rejected').map((event) => event.id));
    const background = new Map<string, boolean>();
    for (const event of events) background.set(event.id, (background.get(event.id) ?? true) && event.background);
    const ids = [...background.keys()].filter((id) => !kept.has(id));
    if (ids.length === 0) return [];
    await this.queue.addBulk(
      ids.map((eventId) => ({
        name: DISPATCH_JOB_NAME,
        data: { eventId },
        opts: smsEventJobOptions(eventId, this.options, background.get(eventId)),
      })),
    );
    return ids;
  }

  /**
   * The ids among `eventIds` whose job will never run them again: no job at all, or a job that
   * already ended (`failed` after its last attempt, or `completed`) while the row is unfinished.
   */
  async withoutLiveJob(eventIds: readonly string[]): Promise<string[]> {
    const states = await Promise.all(eventIds.map((id) => this.queue.getJobState(id)));
    return eventIds.filter((_, index) => ['unknown', 'failed', 'completed'].includes(states[index]));
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

  /**
   * The last error of the queue connection while it is not up (`undefined` once it is): what a
   * call that waits for the queue is waiting on, e.g. a TLS certificate this process does not trust.
   */
  get connectionError(): Error | undefined {
    return this.connection.lastError;
  }

  /** Closes the queue client, cutting its connections after {@link SHUTDOWN_CLOSE_TIMEOUT_MS}. */
  async onApplicationShutdown(): Promise<void> {
    const cut = await closeWithin(this.queue.close(), SHUTDOWN_CLOSE_TIMEOUT_MS, () => this.connection.disconnect());
    if (cut) new Logger('OpenSmsWebhook').warn(messages.closeCut("the relay's queue client", SHUTDOWN_CLOSE_TIMEOUT_MS));
    this.connection.disconnect();
  }
}
