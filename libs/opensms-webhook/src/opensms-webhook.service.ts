import { Injectable, Optional } from '@nestjs/common';
import { SmsEventHandlerRegistry } from './dispatch/sms-event-handler.registry';
import { type SmsEventReprocessing, SmsEventReprocessor, type SmsEventReprocessRequest } from './dispatch/sms-event.reprocessor';
import { WorkerModeRequiredError } from './errors/worker-mode-required.error';
import type { SmsEventState } from './inbox/sms-event-state';
import { SmsEventLifecycle } from './inbox/sms-event.lifecycle';
import { type SmsEventFilter, SmsEventQueries, type SmsEventRecord } from './inbox/sms-event.queries';
import { SmsEventRetention } from './inbox/sms-event.retention';
import { SmsEventRelayNotifier } from './queue/sms-event-relay.notifier';
import { SmsEventProducer } from './queue/sms-event.producer';
import { SmsEventReconciler } from './queue/sms-event.reconciler';

/** Operations on the inbox: look-ups, counts, replay of dead events, reprocessing, reconciliation, retention. */
@Injectable()
export class OpenSmsWebhookService {
  private readonly reprocessor: SmsEventReprocessor;

  constructor(
    private readonly queries: SmsEventQueries,
    private readonly lifecycle: SmsEventLifecycle,
    private readonly relay: SmsEventRelayNotifier,
    @Optional() private readonly reconciler?: SmsEventReconciler,
    @Optional() private readonly retention?: SmsEventRetention,
    @Optional() private readonly producer?: SmsEventProducer,
    @Optional() registry?: SmsEventHandlerRegistry,
  ) {
    this.reprocessor = new SmsEventReprocessor(queries, lifecycle, relay, registry);
  }

  /** One inbox row by id. */
  findById(id: string): Promise<SmsEventRecord | null> {
    return this.queries.findById(id);
  }

  /** Inbox rows matching a filter, newest first (100 by default). */
  find(filter?: SmsEventFilter): Promise<SmsEventRecord[]> {
    return this.queries.find(filter);
  }

  /** Number of rows in each state. */
  countByState(): Promise<Record<SmsEventState, number>> {
    return this.queries.countByState();
  }

  /**
   * Runs a `dead` (or `failed`) event again with a fresh set of attempts. Handlers that already
   * committed for it are not run again. Resolves `false` when the event is in no such state.
   * Needs only the database: the relay of a worker process replaces the event's ended job.
   */
  async replay(id: string): Promise<boolean> {
    return (await this.replayIds([id])).length === 1;
  }

  /** Replays every `dead` event matching the filter (default: all, 1000 at most); returns their ids. */
  async replayDead(filter: Omit<SmsEventFilter, 'state'> = {}): Promise<string[]> {
    const dead = await this.queries.find({ limit: 1000, ...filter, state: 'dead' });
    return this.replayIds(dead.map((row) => row.id));
  }

  /**
   * Runs handlers again over a selection of finished events (`processed`, `ignored`, `dead`), e.g.
   * after fixing a handler's bug, or to backfill a handler deployed after the events came: clears
   * the completion of the named handlers only (every handler when none is named) and queues the
   * events again, oldest first, at `ratePerSecond`. Handlers not named keep their exactly-once
   * record and do not run. The handlers see `ctx.reprocessed`; per-message order and `ctx.stale`
   * hold as for any event. With `dryRun`, resolves the plan (how many events, which handlers) and
   * changes nothing. Throws `InvalidReprocessRequestError` for a handler this process does not have
   * (when it runs the worker), a state that cannot be reprocessed or a bad rate.
   *
   * ```ts
   * const run = await service.reprocess({ filter: { event: 'sms.failed', receivedAfter }, handlers: ['SmsStatusHandler.onFailed'] });
   * console.log(run.plan.events); await run.done; // or run.cancel()
   * ```
   */
  reprocess(request: SmsEventReprocessRequest): Promise<SmsEventReprocessing> {
    return this.reprocessor.reprocess(request);
  }

  /**
   * Whether this process runs the worker (`mode` `'all'` or `'worker'`), which {@link pause},
   * {@link resume}, {@link isPaused}, {@link reconcile} and {@link prune} need; `false` in an
   * ingest-only process, where they throw `WorkerModeRequiredError`.
   */
  get runsWorker(): boolean {
    return this.producer !== undefined;
  }

  /**
   * Pauses processing in every process of this queue: events are still received and stored, workers
   * take no new job until {@link resume}. Running events finish.
   */
  pause(): Promise<void> {
    return this.requireWorker(this.producer, 'pause()').pause();
  }

  /** Resumes processing after {@link pause}. */
  resume(): Promise<void> {
    return this.requireWorker(this.producer, 'resume()').resume();
  }

  /** Whether processing is paused (see {@link pause}). */
  isPaused(): Promise<boolean> {
    return this.requireWorker(this.producer, 'isPaused()').isPaused();
  }

  /**
   * Queues again, now, unfinished events older than `olderThanMs` whose job was lost. Needs a
   * worker-mode module.
   */
  async reconcile(olderThanMs?: number): Promise<number> {
    return this.requireWorker(this.reconciler, 'reconcile()').reconcile(olderThanMs);
  }

  /** Prunes processed and ignored rows older than `days` now. Needs a worker-mode module. */
  async prune(days?: number): Promise<number> {
    return this.requireWorker(this.retention, 'prune()').prune(days);
  }

  private async replayIds(ids: readonly string[]): Promise<string[]> {
    const reopened = await this.lifecycle.reopen(ids);
    if (reopened.length > 0) this.relay.notify();
    return reopened;
  }

  private requireWorker<T>(part: T | undefined, operation: string): T {
    if (!part) throw new WorkerModeRequiredError(operation);
    return part;
  }
}
