import { randomUUID } from 'node:crypto';
import { ConflictException, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { SmsEventReprocessOutcome, SmsEventReprocessPlan } from '../dispatch/sms-event.reprocessor';
import { WebhookModuleMissingError } from '../errors/webhook-module-missing.error';
import { OpenSmsWebhookCore } from '../opensms-webhook.core';
import {
  type SmsEventFilter,
  type SmsEventHandlerRun,
  type SmsEventPage,
  type SmsEventQueries,
  type SmsEventRecord,
  type SmsEventSummary,
  type SmsEventTimelineEntry,
} from '../inbox/sms-event.queries';
import { backlogOf, type SmsEventState } from '../inbox/sms-event-state';
import { messages } from '../opensms-webhook.messages';
import type { OpenSmsWebhookService } from '../opensms-webhook.service';
import { describeConsoleUser } from './console-access.guard';
import type { ConsoleSearchForm } from './console-search.params';
import { OPENSMS_CONSOLE_OPTIONS } from './console.constants';
import type { ResolvedOpenSmsWebhookConsoleOptions } from './opensms-webhook-console-options.interface';

/** Figures of the overview page. */
export interface ConsoleOverview {
  counts: Record<SmsEventState, number>;
  /** Events with work ahead of them (received, processing, failed): see `backlogOf`. */
  backlog: number;
  oldestUnfinishedAt: Date | null;
  /** Whether processing is paused; `null` in an ingest-only process, which runs no worker and never connects to the queue. */
  paused: boolean | null;
  latest: SmsEventSummary[];
}

/** Everything the event page shows. */
export interface ConsoleEventDetail {
  event: SmsEventRecord;
  handlerRuns: SmsEventHandlerRun[];
  /** The events of the same message, in the order received (this one included). */
  timeline: SmsEventTimelineEntry[];
  stale: boolean;
}

/** A reprocessing started from the console, as its page shows it. */
export interface ConsoleReprocessRun {
  id: string;
  /** Who started it (as the console shows users). */
  user: string;
  startedAt: Date;
  /** The search it reprocesses. */
  form: ConsoleSearchForm;
  plan: SmsEventReprocessPlan;
  /** Events queued again so far. */
  readonly queued: number;
  /** How the queueing ended; absent while it goes on. */
  outcome?: SmsEventReprocessOutcome;
  /** Why the queueing stopped early, when the inbox failed. */
  failure?: string;
}

/** What the console uses of the application's `OpenSmsWebhookCore`. */
interface ConsoleCoreParts {
  service: OpenSmsWebhookService;
  queries: SmsEventQueries;
  handlerNames: () => string[] | null;
}

/** Events shown on the overview. */
const LATEST_EVENTS = 10;
/** Largest batch of one `replayDead` call. */
const REPLAY_BATCH = 1000;
/** Reprocessings whose page stays available, the latest ones. */
const REPROCESS_RUNS_KEPT = 20;

/**
 * The console's reads and actions on the inbox of the application's `OpenSmsWebhookModule`, which
 * it finds once every module is created. Every action is logged with the user who did it.
 */
@Injectable()
export class ConsoleInboxService implements OnModuleInit {
  private readonly logger = new Logger('OpenSmsWebhookConsole');
  private inbox?: ConsoleCoreParts;
  private readonly reprocessRuns = new Map<string, ConsoleReprocessRun>();

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(OPENSMS_CONSOLE_OPTIONS) private readonly options: ResolvedOpenSmsWebhookConsoleOptions,
  ) {}

  onModuleInit(): void {
    const core = OpenSmsWebhookCore.in(this.moduleRef, 'OpenSmsWebhookConsoleModule');
    this.inbox = { service: core.service, queries: core.queries, handlerNames: () => core.handlerNames() };
  }

  /** Largest number of dead events one "replay all matching" replays. */
  get replayLimit(): number {
    return this.options.replayLimit;
  }

  async overview(): Promise<ConsoleOverview> {
    const { service, queries } = this.found();
    const [counts, oldestUnfinishedAt, paused, latest] = await Promise.all([
      service.countByState(),
      queries.oldestUnfinishedReceivedAt(),
      service.runsWorker ? service.isPaused() : null,
      queries.search({ limit: LATEST_EVENTS }),
    ]);
    return { counts, backlog: backlogOf(counts), oldestUnfinishedAt, paused, latest: latest.events };
  }

  search(filter: SmsEventFilter, cursor?: string): Promise<SmsEventPage> {
    return this.found().queries.search({ ...filter, limit: this.options.pageSize }, cursor);
  }

  /** How many dead events match the filter. */
  countDead(filter: SmsEventFilter): Promise<number> {
    return this.found().queries.count({ ...filter, state: 'dead' });
  }

  async detail(id: string): Promise<ConsoleEventDetail | null> {
    const { queries } = this.found();
    const [event, handlerRuns] = await Promise.all([queries.findById(id), queries.handlerRuns(id)]);
    if (!event) return null;
    const timeline = event.messageId === null ? [] : await queries.messageTimeline(event.messageId);
    const stale = timeline.find((entry) => entry.id === id)?.stale ?? false;
    return { event, handlerRuns, timeline, stale };
  }

  timeline(messageId: string): Promise<SmsEventTimelineEntry[]> {
    return this.found().queries.messageTimeline(messageId);
  }

  /** Replays one dead or failed event; `false` when it was in neither state. */
  async replay(id: string, user: unknown): Promise<boolean> {
    const replayed = await this.found().service.replay(id);
    this.logger.log(messages.consoleReplayed(describeConsoleUser(user), id, replayed));
    return replayed;
  }

  /**
   * Replays the dead events matching the filter, at most `expected` (the count the user confirmed)
   * and `replayLimit`; returns how many were replayed.
   */
  async replayDead(filter: SmsEventFilter, expected: number, user: unknown): Promise<number> {
    const { service } = this.found();
    const { state: _state, limit: _limit, ...matching } = filter;
    const bound = Math.min(expected, this.options.replayLimit);
    let replayed = 0;
    while (replayed < bound) {
      const batch = await service.replayDead({ ...matching, limit: Math.min(REPLAY_BATCH, bound - replayed) });
      replayed += batch.length;
      if (batch.length === 0) break;
    }
    this.logger.log(messages.consoleReplayedDead(describeConsoleUser(user), replayed, JSON.stringify(matching)));
    return replayed;
  }

  /** Pauses or resumes processing; refused with a 409 in an ingest-only process, which runs no worker. */
  async setPaused(paused: boolean, user: unknown): Promise<void> {
    const { service } = this.found();
    if (!service.runsWorker) throw new ConflictException(messages.consoleProcessingElsewhere);
    await (paused ? service.pause() : service.resume());
    this.logger.log(messages.consolePaused(describeConsoleUser(user), paused));
  }

  /** The application's handler names, to choose from; `null` in an ingest-only process, which does not know them. */
  handlerNames(): string[] | null {
    return this.found().handlerNames();
  }

  /**
   * The dry-run plan of reprocessing the filter's events for `handlers` (none: every handler);
   * throws `InvalidReprocessRequestError` for a state or handler it cannot reprocess.
   */
  async planReprocess(filter: SmsEventFilter, handlers: readonly string[]): Promise<SmsEventReprocessPlan> {
    return (await this.found().service.reprocess({ filter, handlers: handlers.length > 0 ? handlers : undefined, dryRun: true })).plan;
  }

  /** Starts reprocessing the filter's events for `handlers` (none: every handler), logged with its user; its page shows how it goes. */
  async startReprocess(
    form: ConsoleSearchForm,
    filter: SmsEventFilter,
    handlers: readonly string[],
    user: unknown,
  ): Promise<ConsoleReprocessRun> {
    const named = handlers.length > 0 ? handlers : undefined;
    const reprocessing = await this.found().service.reprocess({ filter, handlers: named });
    const run: ConsoleReprocessRun = {
      id: randomUUID(),
      user: describeConsoleUser(user),
      startedAt: new Date(),
      form,
      plan: reprocessing.plan,
      get queued() {
        return reprocessing.queued;
      },
    };
    reprocessing.done.then(
      (outcome) => (run.outcome = outcome),
      (error: unknown) => (run.failure = String(error)),
    );
    this.reprocessRuns.set(run.id, run);
    for (const id of [...this.reprocessRuns.keys()].slice(0, -REPROCESS_RUNS_KEPT)) this.reprocessRuns.delete(id);
    this.logger.log(messages.consoleReprocessing(run.user, run.plan.events, named ?? null, JSON.stringify(filter)));
    return run;
  }

  /** A reprocessing this process started, among the latest ones; `undefined` when it knows no such run. */
  reprocessRun(id: string): ConsoleReprocessRun | undefined {
    return this.reprocessRuns.get(id);
  }

  private found(): ConsoleCoreParts {
    if (!this.inbox) throw new WebhookModuleMissingError();
    return this.inbox;
  }
}
