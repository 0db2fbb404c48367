/**
 * Every state of an inbox row, the one list the library derives all others from.
 *
 * ```
 * received | failed ──claimed, all handlers committed──▶ processed
 *        │          ──claimed, a handler failed, attempts left──▶ failed
 *        │          ──claimed, attempts spent or unrecoverable──▶ dead
 *        │          ──claimed, no handler for its type──▶ ignored
 *        └──claimed, still running after 500 ms──▶ processing (a marker; it ends as above)
 * dead | failed ──replay──▶ received
 * processed | ignored | dead ──reprocess (some or all handlers)──▶ received
 * (signed but malformed) ──▶ invalid
 * ```
 * `processed`, `ignored` and `invalid` are final; `dead` is final until replayed. The transitions
 * are made by {@link SmsEventLifecycle} (worker) and {@link SmsEventWriter} (ingest) only.
 */
export const SMS_EVENT_STATES = ['received', 'processing', 'processed', 'failed', 'dead', 'invalid', 'ignored'] as const;

/** State of an inbox row; see {@link SMS_EVENT_STATES} for the state machine. */
export type SmsEventState = (typeof SMS_EVENT_STATES)[number];

/** A state whose rows the state index holds: every state but `processed`, the one that grows without bound. */
export type IndexedSmsEventState = Exclude<SmsEventState, 'processed'>;

/**
 * States in which an event still has work ahead of it (and so must have a queued job); the events
 * in them are the backlog (see {@link backlogOf}).
 */
export const UNFINISHED_SMS_EVENT_STATES: readonly IndexedSmsEventState[] = ['received', 'processing', 'failed'];

/** States a replay puts back to `received`. */
export const REPLAYABLE_SMS_EVENT_STATES: readonly SmsEventState[] = ['dead', 'failed'];

/** States whose events a reprocessing selects and puts back to `received`: the finished ones that ran or could run handlers. */
export const REPROCESSABLE_SMS_EVENT_STATES: readonly SmsEventState[] = ['processed', 'ignored', 'dead'];

/** States in which the event's work is over and `processed_at` is set: retention prunes their rows. */
export const COMPLETED_SMS_EVENT_STATES: readonly SmsEventState[] = ['processed', 'ignored'];

/**
 * The backlog: how many events have work ahead of them, i.e. are in one of the
 * {@link UNFINISHED_SMS_EVENT_STATES}, from counts by state (a state not given counts 0). The one
 * definition that health, alerts, metrics, the console and the CLI report.
 */
export function backlogOf(counts: Readonly<Partial<Record<SmsEventState, number>>>): number {
  return UNFINISHED_SMS_EVENT_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

/** A count for every state, zero where there are no rows. */
export function zeroCountsByState(): Record<SmsEventState, number> {
  return Object.fromEntries(SMS_EVENT_STATES.map((state) => [state, 0])) as Record<SmsEventState, number>;
}
