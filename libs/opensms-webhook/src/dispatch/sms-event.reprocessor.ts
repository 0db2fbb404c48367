import { Logger } from '@nestjs/common';
import { InvalidReprocessRequestError } from '../errors/invalid-reprocess-request.error';
import { REPROCESSABLE_SMS_EVENT_STATES, type SmsEventState } from '../inbox/sms-event-state';
import type { SmsEventLifecycle } from '../inbox/sms-event.lifecycle';
import type { SmsEventFilter, SmsEventQueries } from '../inbox/sms-event.queries';
import type { SmsEventRelayNotifier } from '../queue/sms-event-relay.notifier';
import type { SmsEventHandlerRegistry } from './sms-event-handler.registry';

/** Which finished events to run which handlers on again, see `OpenSmsWebhookService.reprocess()`. */
export interface SmsEventReprocessRequest {
  /**
   * The events, as the console's search selects them. `state` may name `processed`, `ignored` and
   * `dead` (the default: all three); unfinished events are never selected (they run anyway).
   */
  filter?: Omit<SmsEventFilter, 'limit'>;
  /**
   * The handlers to run again, as `Class.method` (the names the console shows): only their
   * completion is cleared, every other handler keeps its record and does not run. Default: every
   * handler of each event (a full reprocessing).
   */
  handlers?: readonly string[];
  /** Only count: resolves the plan and changes nothing. */
  dryRun?: boolean;
  /**
   * Events queued per second, so that live traffic keeps its latency during a large reprocessing.
   * @default 200
   */
  ratePerSecond?: number;
}

/** One handler of a {@link SmsEventReprocessPlan}. */
export interface SmsEventReprocessHandlerPlan {
  /** `Class.method`. */
  handler: string;
  /** Selected events of a type the handler takes; `null` where the process does not know the handlers (command line). */
  events: number | null;
  /** Selected events the handler had already completed: it runs on them again. */
  completedBefore: number;
}

/** What a reprocessing selects and runs. */
export interface SmsEventReprocessPlan {
  /** Events selected (each queued once). */
  events: number;
  /** Selected events by payload `event` name. */
  byEvent: Record<string, number>;
  /** `true` when no handler was named: every handler of each event runs again. */
  everyHandler: boolean;
  /** The handlers that run: the named ones, or (with {@link everyHandler}) those this process knows for the selected types. */
  handlers: SmsEventReprocessHandlerPlan[];
}

/** How a reprocessing ended (its queueing; the workers then process the events). */
export interface SmsEventReprocessOutcome {
  /** Events queued again. */
  queued: number;
  /** `true` when {@link SmsEventReprocessing.cancel} stopped it before every selected event was queued. */
  cancelled: boolean;
}

/** A reprocessing under way (or a dry run's plan). */
export interface SmsEventReprocessing {
  readonly plan: SmsEventReprocessPlan;
  readonly dryRun: boolean;
  /** Events queued again so far. */
  readonly queued: number;
  /** Resolves once every selected event is queued again, or the run was cancelled; rejects when the inbox fails meanwhile. */
  readonly done: Promise<SmsEventReprocessOutcome>;
  /** Queues no further event; the ones already queued are processed as usual. */
  cancel(): void;
}

/** Default of {@link SmsEventReprocessRequest.ratePerSecond}. */
export const DEFAULT_REPROCESS_RATE_PER_SECOND = 200;

/** Most events reopened by one statement. */
const MAX_CHUNK = 100;

/**
 * Reopens a selection of finished events for some or all of their handlers, oldest first, a chunk
 * at a time at a bounded rate (see {@link SmsEventLifecycle.reopenForReprocess}). The selection is
 * fixed when it starts: events received later are not part of it.
 */
export class SmsEventReprocessor {
  private readonly logger = new Logger('OpenSmsWebhook');

  constructor(
    private readonly queries: SmsEventQueries,
    private readonly lifecycle: SmsEventLifecycle,
    private readonly relay: SmsEventRelayNotifier,
    private readonly registry?: SmsEventHandlerRegistry,
  ) {}

  async reprocess(request: SmsEventReprocessRequest): Promise<SmsEventReprocessing> {
    const handlers = request.handlers === undefined ? null : [...new Set(request.handlers)];
    const rate = request.ratePerSecond ?? DEFAULT_REPROCESS_RATE_PER_SECOND;
    const filter = this.selection(request.filter ?? {}, handlers, rate);
    const plan = await this.plan(filter, handlers);
    if (request.dryRun || plan.events === 0) {
      return { plan, dryRun: request.dryRun === true, queued: 0, done: Promise.resolve({ queued: 0, cancelled: false }), cancel: () => {} };
    }
    return this.start(plan, filter, handlers, rate);
  }

  /** The request's filter as a selection: reprocessable states only, the named handlers' event types, received until now. */
  private selection(filter: Omit<SmsEventFilter, 'limit'>, handlers: string[] | null, rate: number): SmsEventFilter {
    const problems: string[] = [];
    const given = filter.state === undefined ? undefined : typeof filter.state === 'string' ? [filter.state] : [...filter.state];
    const wrongStates = given?.filter((state) => !REPROCESSABLE_SMS_EVENT_STATES.includes(state)) ?? [];
    if (wrongStates.length > 0) {
      problems.push(
        `state ${wrongStates.join(', ')} cannot be reprocessed (only ${REPROCESSABLE_SMS_EVENT_STATES.join(', ')}: unfinished events run anyway)`,
      );
    }
    if (!Number.isFinite(rate) || rate <= 0) problems.push(`ratePerSecond must be a number > 0 (got ${String(rate)})`);
    const known = this.registry?.names();
    const unknown = known && handlers ? handlers.filter((handler) => !known.includes(handler)) : [];
    if (unknown.length > 0)
      problems.push(`no handler ${unknown.join(', ')} in this application (handlers: ${known!.join(', ') || 'none'})`);
    if (handlers?.length === 0) problems.push('handlers is empty: name at least one, or leave it out to run every handler');
    if (problems.length > 0) throw new InvalidReprocessRequestError(problems);

    const now = new Date();
    const receivedBefore = filter.receivedBefore && filter.receivedBefore < now ? filter.receivedBefore : now;
    const states: readonly SmsEventState[] = given ?? REPROCESSABLE_SMS_EVENT_STATES;
    const event = handlers && this.registry ? this.eventsOf(handlers, filter.event) : filter.event;
    return { ...filter, state: states, event, receivedBefore };
  }

  /** The payload `event` names the handlers take (narrowed to the filter's), or the filter's own when one takes every type. */
  private eventsOf(handlers: readonly string[], wanted: SmsEventFilter['event']): SmsEventFilter['event'] {
    const taken = this.registry!.eventNamesOf(handlers);
    if (taken === 'every') return wanted;
    if (wanted === undefined) return taken;
    const asked = typeof wanted === 'string' ? [wanted] : wanted;
    return asked.filter((event) => taken.includes(event));
  }

  private async plan(filter: SmsEventFilter, handlers: string[] | null): Promise<SmsEventReprocessPlan> {
    const registry = this.registry;
    const handlersOf = (types: string[]) => [
      ...new Set(types.flatMap((type) => registry?.handlersFor(type).map(({ name }) => name) ?? [])),
    ];
    const running = handlers ?? (registry ? handlersOf(Object.keys((await this.queries.reprocessFigures(filter, [])).byEvent)) : []);
    const { byEvent, completedBy } = await this.queries.reprocessFigures(filter, running);
    const types = Object.keys(byEvent);
    const events = Object.values(byEvent).reduce((sum, count) => sum + count, 0);
    return {
      events,
      byEvent,
      everyHandler: handlers === null,
      handlers: running.map((handler) => ({
        handler,
        events: registry
          ? types
              .filter((type) => registry.handlersFor(type).some(({ name }) => name === handler))
              .reduce((sum, type) => sum + byEvent[type], 0)
          : null,
        completedBefore: completedBy[handler],
      })),
    };
  }

  private start(plan: SmsEventReprocessPlan, filter: SmsEventFilter, handlers: string[] | null, rate: number): SmsEventReprocessing {
    const chunk = Math.max(1, Math.min(MAX_CHUNK, Math.round(rate / 10)));
    const run = { queued: 0, cancelled: false };
    const done = (async (): Promise<SmsEventReprocessOutcome> => {
      let after: string | undefined;
      const startedAt = Date.now();
      for (;;) {
        if (run.cancelled) return { queued: run.queued, cancelled: true };
        const page = await this.queries.search({ ...filter, limit: chunk }, after, 'oldest');
        if (page.events.length === 0) break;
        run.queued += (
          await this.lifecycle.reopenForReprocess(
            page.events.map((event) => event.id),
            handlers,
          )
        ).length;
        this.relay.notify();
        if (page.next === null) break;
        after = page.next;
        // NOTE: paced on the whole run, so a slow chunk is not followed by a burst.
        await delay(startedAt + (run.queued / rate) * 1000 - Date.now());
      }
      return { queued: run.queued, cancelled: false };
    })();
    done.then(
      ({ queued, cancelled }) =>
        this.logger.log(`Reprocessing ${cancelled ? 'cancelled' : 'queued'}: ${queued} of ${plan.events} event(s) queued again`),
      (error: unknown) => this.logger.error(`Reprocessing stopped after ${run.queued} of ${plan.events} event(s): ${String(error)}`),
    );
    return {
      plan,
      dryRun: false,
      get queued() {
        return run.queued;
      },
      done,
      cancel: () => {
        run.cancelled = true;
      },
    };
  }
}

function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms).unref());
}
