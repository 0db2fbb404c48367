import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type IQueueBackend, type Job, type RedisQueueBackend, UnrecoverableError, Worker } from 'bullmq';
import { OPENSMS_RESOLVED_OPTIONS, SHUTDOWN_CLOSE_TIMEOUT_MS } from '../opensms-webhook.constants';
import { closeWithin } from '../internal/bounded-close';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { OwnedQueueConnection } from '../queue/queue-connection';
import type { SmsEventJobData } from '../queue/sms-event-job';
import { SmsEventDispatchError } from '../errors/sms-event-dispatch.error';
import { type DispatchOutcome, SmsEventDispatcher } from './sms-event.dispatcher';

/**
 * How long the worker waits to fetch again after the queue failed it (BullMQ's `runRetryDelay`,
 * 15 s by default): an outage that ended just after a failed fetch would otherwise leave acknowledged
 * events waiting up to 15 s more. While the queue is down this costs one failed fetch a second.
 */
const FETCH_RETRY_DELAY_MS = 1000;
/**
 * The module's own BullMQ `Worker` of the inbox queue, created with its backend passed explicitly
 * (nothing process-wide is changed). It starts once the application has bootstrapped (all
 * handlers bound) and, on shutdown, lets in-flight events finish within `worker.shutdownGraceMs`.
 */
@Injectable()
export class SmsEventProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');
  private connection?: OwnedQueueConnection;
  private worker?: Worker<SmsEventJobData, DispatchOutcome, string, IQueueBackend>;

  constructor(
    private readonly dispatcher: SmsEventDispatcher,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {}

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
    const { queueName, queue, worker } = this.options;
    const connection = new OwnedQueueConnection(this.options, 'worker');
    this.connection = connection;
    this.worker = new Worker<SmsEventJobData, DispatchOutcome, string, IQueueBackend>(
      queueName,
      (job) => this.process(job),
      {
        connection: connection.connection,
        prefix: queue.prefix,
        concurrency: worker.concurrency,
        lockDuration: worker.lockDuration,
        stalledInterval: worker.stalledInterval,
        ...(worker.limiter === undefined ? {} : { limiter: worker.limiter }),
        runRetryDelay: FETCH_RETRY_DELAY_MS,
      },
      connection.backend,
    );
    this.worker.on('error', (error) => this.logger.warn(messages.redisError(error)));
    void this.warnOnEvictionPolicy(this.worker);
  }

  /**
   * Stops taking jobs and lets the running ones finish within `worker.shutdownGraceMs`; then closes without
   * waiting for the queue (its connection is cut after {@link SHUTDOWN_CLOSE_TIMEOUT_MS}), and cuts the
   * database connections of the batches still running, so that their transactions roll back and the
   * host's data source can close. Their jobs stay locked until their lock expires, then another
   * worker takes them over, and handlers that committed are not re-run.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.worker.shutdownGraceMs);
    });
    await Promise.race([worker.pause(), graceOver]);
    clearTimeout(timer);
    if (await closeWithin(worker.close(true), SHUTDOWN_CLOSE_TIMEOUT_MS, () => this.connection?.disconnect())) {
      this.logger.warn(messages.closeCut('the queue worker', SHUTDOWN_CLOSE_TIMEOUT_MS));
    }
    const cut = this.dispatcher.cutRunningBatches();
    if (cut > 0) this.logger.warn(messages.batchesCut(cut, this.options.worker.shutdownGraceMs));
  }

  onApplicationShutdown(): void {
    this.connection?.disconnect();
  }

  private async warnOnEvictionPolicy(worker: Worker<SmsEventJobData, DispatchOutcome, string, IQueueBackend>): Promise<void> {
    try {
      const client = await (worker.getBackend() as RedisQueueBackend).client;
      const [, policy] = (await client.runCommand('config', ['GET', 'maxmemory-policy'])) as string[];
      if (policy && policy !== 'noeviction') this.logger.warn(messages.evictionPolicy(policy));
    } catch {
      // Managed Redis services often forbid CONFIG, and the PostgreSQL backend has no such setting.
    }
  }
}
