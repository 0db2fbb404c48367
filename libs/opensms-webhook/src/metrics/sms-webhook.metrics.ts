import type { InboxFigures } from '../inbox/inbox-figures';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MetricNameTakenError } from '../errors/metric-name-taken.error';
import { isKnownSmsEvent } from '../events/sms-event-types';
import { UNFINISHED_SMS_EVENT_STATES } from '../inbox/sms-event-state';
import type {
  SmsEventAttemptEnded,
  SmsEventHandlerRunEnded,
  SmsWebhookObserver,
  WebhookCallAnswered,
} from '../telemetry/sms-webhook.telemetry';
import type { ResolvedOpenSmsWebhookMetricsOptions } from './opensms-webhook-metrics-options.interface';

/** Where the gauges get their figures: `null` when they cannot be read now (the gauges keep their values). */
export interface InboxFiguresSource {
  read(): Promise<InboxFigures | null>;
}

/** Value of the `event` label: the known event types, every other (unbounded) value as `other`. */
export function eventLabel(event: string): string {
  return isKnownSmsEvent(event) ? event : 'other';
}

/** The name of every metric the module registers, by what it measures. */
export const OPENSMS_WEBHOOK_METRICS = {
  calls: 'opensms_webhook_calls_total',
  ingestDuration: 'opensms_webhook_ingest_duration_seconds',
  events: 'opensms_webhook_events_total',
  handlerDuration: 'opensms_webhook_handler_duration_seconds',
  handlerFailures: 'opensms_webhook_handler_failures_total',
  staleEvents: 'opensms_webhook_stale_events_total',
  eventLag: 'opensms_webhook_event_lag_seconds',
  backlog: 'opensms_webhook_backlog_events',
  oldestUnfinishedAge: 'opensms_webhook_oldest_unfinished_age_seconds',
  deadEvents: 'opensms_webhook_dead_events',
} as const;

/** States whose end counts as the end of an event's work for `opensms_webhook_stale_events_total`. */
const WORK_ENDED_STATES: ReadonlySet<SmsEventAttemptEnded['state']> = new Set(['processed', 'dead']);

type MetricOptions = Pick<ResolvedOpenSmsWebhookMetricsOptions, 'durationBuckets' | 'lagBuckets'>;

/**
 * The library's metrics in one Prometheus registry. Created once per registry and shared by every
 * module registering there (several applications in one process, as tests do): their counts add up,
 * and the gauges read the inbox of the latest module still running.
 */
export class SmsWebhookMetricSet implements SmsWebhookObserver {
  private static readonly sets = new WeakMap<Registry, SmsWebhookMetricSet>();

  /** The set of `registry`, created there on first use (or again when the registry was cleared). */
  static in(registry: Registry, options: MetricOptions): SmsWebhookMetricSet {
    const existing = SmsWebhookMetricSet.sets.get(registry);
    if (existing?.isRegisteredIn(registry)) return existing;
    const created = new SmsWebhookMetricSet(registry, options);
    SmsWebhookMetricSet.sets.set(registry, created);
    return created;
  }

  private readonly calls: Counter<'outcome'>;
  private readonly ingestDuration: Histogram<'outcome'>;
  private readonly events: Counter<'event' | 'state'>;
  private readonly handlerDuration: Histogram<'handler'>;
  private readonly handlerFailures: Counter<'handler'>;
  private readonly staleEvents: Counter;
  private readonly eventLag: Histogram;
  private readonly backlog: Gauge<'state'>;
  private readonly oldestUnfinishedAge: Gauge;
  private readonly deadEvents: Gauge;
  /** Each metric by name, as registered. */
  private readonly registered: ReadonlyMap<string, object>;
  private sources: readonly InboxFiguresSource[] = [];

  private constructor(registry: Registry, options: MetricOptions) {
    for (const name of Object.values(OPENSMS_WEBHOOK_METRICS)) {
      if (registry.getSingleMetric(name)) throw new MetricNameTakenError(name);
    }
    const registers = [registry];
    this.calls = new Counter({
      name: OPENSMS_WEBHOOK_METRICS.calls,
      help: 'Webhook calls answered, by outcome (accepted, duplicate, invalid, unauthorized, too_large, unavailable).',
      labelNames: ['outcome'],
      registers,
    });
    this.ingestDuration = new Histogram({
      name: OPENSMS_WEBHOOK_METRICS.ingestDuration,
      help: 'Time from the signature check to the answer of a webhook call, by outcome.',
      labelNames: ['outcome'],
      buckets: options.durationBuckets,
      registers,
    });
    this.events = new Counter({
      name: OPENSMS_WEBHOOK_METRICS.events,
      help: 'Processing attempts ended, by event type (known types, else other) and the state they left the event in.',
      labelNames: ['event', 'state'],
      registers,
    });
    this.handlerDuration = new Histogram({
      name: OPENSMS_WEBHOOK_METRICS.handlerDuration,
      help: 'Duration of one run of one @OnSmsEvent handler.',
      labelNames: ['handler'],
      buckets: options.durationBuckets,
      registers,
    });
    this.handlerFailures = new Counter({
      name: OPENSMS_WEBHOOK_METRICS.handlerFailures,
      help: 'Runs of an @OnSmsEvent handler that threw.',
      labelNames: ['handler'],
      registers,
    });
    this.staleEvents = new Counter({
      name: OPENSMS_WEBHOOK_METRICS.staleEvents,
      help: 'Events whose work ended while a later event of their message had already been processed (ctx.stale).',
      registers,
    });
    this.eventLag = new Histogram({
      name: OPENSMS_WEBHOOK_METRICS.eventLag,
      help: "Time from the provider's timestamp of an event to its processing.",
      buckets: options.lagBuckets,
      registers,
    });
    this.backlog = new Gauge({
      name: OPENSMS_WEBHOOK_METRICS.backlog,
      help: 'Events with work ahead of them, by state (received, processing, failed).',
      labelNames: ['state'],
      registers,
      collect: async () => {
        const figures = await this.figures();
        if (figures) for (const [state, count] of figures.backlog) this.backlog.set({ state }, count);
      },
    });
    this.oldestUnfinishedAge = new Gauge({
      name: OPENSMS_WEBHOOK_METRICS.oldestUnfinishedAge,
      help: 'Seconds since the oldest event with work ahead of it was received; 0 when there is none.',
      registers,
      collect: async () => {
        const figures = await this.figures();
        if (figures) this.oldestUnfinishedAge.set(figures.oldestUnfinishedAgeSeconds);
      },
    });
    this.deadEvents = new Gauge({
      name: OPENSMS_WEBHOOK_METRICS.deadEvents,
      help: 'Events whose attempts are spent, waiting for a replay.',
      registers,
      collect: async () => {
        const figures = await this.figures();
        if (figures) this.deadEvents.set(figures.dead);
      },
    });
    this.registered = new Map<string, object>([
      [OPENSMS_WEBHOOK_METRICS.calls, this.calls],
      [OPENSMS_WEBHOOK_METRICS.ingestDuration, this.ingestDuration],
      [OPENSMS_WEBHOOK_METRICS.events, this.events],
      [OPENSMS_WEBHOOK_METRICS.handlerDuration, this.handlerDuration],
      [OPENSMS_WEBHOOK_METRICS.handlerFailures, this.handlerFailures],
      [OPENSMS_WEBHOOK_METRICS.staleEvents, this.staleEvents],
      [OPENSMS_WEBHOOK_METRICS.eventLag, this.eventLag],
      [OPENSMS_WEBHOOK_METRICS.backlog, this.backlog],
      [OPENSMS_WEBHOOK_METRICS.oldestUnfinishedAge, this.oldestUnfinishedAge],
      [OPENSMS_WEBHOOK_METRICS.deadEvents, this.deadEvents],
    ]);
    for (const state of UNFINISHED_SMS_EVENT_STATES) this.backlog.set({ state }, 0);
  }

  /** Makes the gauges read `source` (until the returned function is called). */
  addInboxSource(source: InboxFiguresSource): () => void {
    this.sources = [...this.sources, source];
    return () => {
      this.sources = this.sources.filter((kept) => kept !== source);
    };
  }

  callAnswered({ outcome, seconds }: WebhookCallAnswered): void {
    this.calls.inc({ outcome });
    if (seconds !== null) this.ingestDuration.observe({ outcome }, seconds);
  }

  attemptEnded({ event, state, stale, occurredAt }: SmsEventAttemptEnded): void {
    this.events.inc({ event: eventLabel(event), state });
    if (state === 'processed' && occurredAt) this.eventLag.observe(Math.max(0, (Date.now() - occurredAt.getTime()) / 1000));
    if (stale && WORK_ENDED_STATES.has(state)) this.staleEvents.inc();
  }

  handlerRunEnded({ handler, seconds, error }: SmsEventHandlerRunEnded): void {
    this.handlerDuration.observe({ handler }, seconds);
    if (error !== undefined) this.handlerFailures.inc({ handler });
  }

  private figures(): Promise<InboxFigures | null> {
    return this.sources.at(-1)?.read() ?? Promise.resolve(null);
  }

  private isRegisteredIn(registry: Registry): boolean {
    return [...this.registered].every(([name, metric]) => registry.getSingleMetric(name) === metric);
  }
}
