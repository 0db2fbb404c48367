import { ConflictException, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
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

/** Events shown on the overview. */
const LATEST_EVENTS = 10;
/** Largest batch of one `replayDead` call. */
const REPLAY_BATCH = 1000;

/**
 * The console's reads and actions on the inbox of the application's `OpenSmsWebhookModule`, which
 * it finds once every module is created. Every action is logged with the user who did it.
 */
@Injectable()
export class ConsoleInboxService implements OnModuleInit {
  private readonly logger = new Logger('OpenSmsWebhookConsole');
  private inbox?: { service: OpenSmsWebhookService; queries: SmsEventQueries };

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(OPENSMS_CONSOLE_OPTIONS) private readonly options: ResolvedOpenSmsWebhookConsoleOptions,
  ) {}

  onModuleInit(): void {
    const { service, queries } = OpenSmsWebhookCore.in(this.moduleRef, 'OpenSmsWebhookConsoleModule');
    this.inbox = { service, queries };
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

  private found(): { service: OpenSmsWebhookService; queries: SmsEventQueries } {
    if (!this.inbox) throw new WebhookModuleMissingError();
    return this.inbox;
  }
}
