import {
  type BeforeApplicationShutdown,
  Inject,
  Logger,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type Job, UnrecoverableError } from 'bullmq';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { OpenSmsWebhookModuleExtras, ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import type { SmsEventJobData } from '../queue/sms-event-job';
import { SmsEventDispatchError } from '../errors/sms-event-dispatch.error';
import { type DispatchOutcome, SmsEventDispatcher } from './sms-event.dispatcher';

/**
 * The BullMQ worker of the inbox queue. It starts only once the application has bootstrapped (all
 * handlers bound) and, on shutdown, lets in-flight events finish within `shutdownGraceMs`.
 */
export abstract class SmsEventProcessorHost extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');

  constructor(
    private readonly dispatcher: SmsEventDispatcher,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {
    super();
  }

  /** Throws to retry with back-off; throws `UnrecoverableError` when the event is now `dead`. */
  async process(job: Job<SmsEventJobData>): Promise<DispatchOutcome> {
    const attempt = job.attemptsMade + 1;
    try {
      return await this.dispatcher.dispatch(job.data.eventId, { attempt, isLast: attempt >= (job.opts.attempts ?? 1) });
    } catch (error) {
      if (error instanceof SmsEventDispatchError && error.permanent) throw new UnrecoverableError(error.message);
      throw error;
    }
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.options.concurrency;
    this.worker.on('error', (error) => this.logger.warn(messages.redisError(error)));
    this.worker.run().catch((error) => this.logger.error(messages.workerStopped(error)));
    void this.warnOnEvictionPolicy();
  }

  /**
   * Stops taking jobs and lets the running ones finish within `shutdownGraceMs`; then closes without
   * waiting for Redis. Jobs still running after the grace period stay locked until their lock
   * expires, then another worker takes them over, and handlers that committed are not re-run.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.shutdownGraceMs);
    });
    await Promise.race([this.worker.pause(), graceOver]);
    clearTimeout(timer);
    await this.worker.close(true);
  }

  private async warnOnEvictionPolicy(): Promise<void> {
    try {
      const client = await this.worker.getBackend().client;
      const [, policy] = (await client.runCommand('config', ['GET', 'maxmemory-policy'])) as string[];
      if (policy && policy !== 'noeviction') this.logger.warn(messages.evictionPolicy(policy));
    } catch {
      // Managed Redis services often forbid CONFIG; nothing to warn about then.
    }
  }
}

/** Builds the processor class bound to the configured queue name, with the configured lock and stall timings. */
export function createSmsEventProcessor({
  queueName,
  lockDurationMs,
  stalledIntervalMs,
}: Pick<OpenSmsWebhookModuleExtras, 'queueName' | 'lockDurationMs' | 'stalledIntervalMs'>): Type<SmsEventProcessorHost> {
  @Processor(queueName, { autorun: false, lockDuration: lockDurationMs, stalledInterval: stalledIntervalMs })
  class SmsEventProcessor extends SmsEventProcessorHost {}
  return SmsEventProcessor;
}
