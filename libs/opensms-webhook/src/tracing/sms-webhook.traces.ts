import type { WebhookCallOutcome } from '../telemetry/sms-webhook.telemetry';

/** A W3C trace context (`traceparent`, `tracestate`) as stored on an inbox row. */
export type TraceCarrier = Record<string, string>;

/** Where an attempt left an event, as the dispatch span reports it. */
export type DispatchTraceOutcome = 'processed' | 'ignored' | 'failed' | 'dead';

/** The span of one webhook call (`opensms.webhook.receive`), from the signature check to the answer. */
export interface IngestTrace {
  /**
   * Runs one step of the call in a child span `opensms.webhook.<step>`: `store` with its span active while it
   * runs; `verify` before the call's span exists (it decides that span's parent), recorded with its own times.
   */
  step<T>(name: 'verify' | 'store', run: () => Promise<T>): Promise<T>;
  /** Names the event the call carries. */
  describe(event: string, messageId: string | null): void;
  /**
   * This call's trace context, stored on its row so that its dispatch continues the trace: its `traceparent`,
   * and `tracestate` / `baggage` only as `tracing.propagate` asks (the caller sets them unsigned); `null` when
   * not traced.
   */
  carrier(): TraceCarrier | null;
  /** Ends the span with the call's outcome; `error` when it was refused. */
  end(outcome: WebhookCallOutcome, detail?: { eventId?: string; error?: unknown }): void;
}

/** The span of one attempt at an event (`opensms.event.dispatch`), with a child span per handler. */
export interface DispatchTrace {
  /** Runs a handler in a child span `opensms.handler <name>`, active while it runs; a throw marks the span failed. */
  handler<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** Records where the attempt left the event; the span ends with {@link end}. */
  outcome(outcome: DispatchTraceOutcome, failure?: unknown): void;
  /** Ends the span once the attempt's batch committed. */
  end(): void;
  /** Ends the span with the error that rolled the attempt's batch back (the event is retried). */
  rollBack(error: unknown): void;
}

/** What the dispatch span says of the event. */
export interface DispatchTraceTarget {
  id: string;
  event: string;
  messageId: string | null;
  stale: boolean;
  traceContext: TraceCarrier | null;
}

/** The trace of a call when tracing is off or `@opentelemetry/api` is not installed: nothing is recorded. */
export const UNTRACED_INGEST: IngestTrace = {
  step: (_name, run) => run(),
  describe: () => undefined,
  carrier: () => null,
  end: () => undefined,
};

/** The trace of an attempt when tracing is off or `@opentelemetry/api` is not installed. */
export const UNTRACED_DISPATCH: DispatchTrace = {
  handler: (_name, run) => run(),
  outcome: () => undefined,
  end: () => undefined,
  rollBack: () => undefined,
};
