import { Inject, Injectable } from '@nestjs/common';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { WebhookRequestHeaders } from '../opensms-webhook-verifier.interface';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import type { WebhookCallOutcome } from '../telemetry/sms-webhook.telemetry';
import { loadOpenTelemetry, type OpenTelemetry } from './opentelemetry';
import {
  type DispatchTrace,
  type DispatchTraceOutcome,
  type DispatchTraceTarget,
  type IngestTrace,
  type TraceCarrier,
  UNTRACED_DISPATCH,
  UNTRACED_INGEST,
} from './sms-webhook.traces';

/** Name of the library's tracer (its instrumentation scope). */
export const OPENSMS_TRACER_NAME = '@opensms/nestjs-webhooks';

/**
 * OpenTelemetry traces of the webhook's path, through `@opentelemetry/api` only (the host owns the
 * SDK): a span per call (`opensms.webhook.receive`, with `verify` and `store` children), whose
 * context is stored on the inbox row; a span per attempt at an event (`opensms.event.dispatch`)
 * continuing that trace, with a child per handler (`opensms.handler <name>`). Without the API
 * installed, or with `tracing: false`, every trace is a shared no-op; without an SDK registered,
 * the API's own no-op tracer answers.
 */
@Injectable()
export class SmsWebhookTracing {
  private readonly otel: OpenTelemetry | null;
  private readonly tracer: Tracer | undefined;
  private readonly kept: KeptTraceContext;

  constructor(@Inject(OPENSMS_RESOLVED_OPTIONS) { tracing }: Pick<ResolvedOpenSmsWebhookOptions, 'tracing'>) {
    this.otel = tracing.enabled ? loadOpenTelemetry() : null;
    this.tracer = this.otel?.trace.getTracer(OPENSMS_TRACER_NAME);
    this.kept = { headers: ['traceparent', ...tracing.propagate], maxBytes: tracing.maxPropagatedBytes };
  }

  /**
   * Begins the trace of a webhook call. Its span is a child of the active span when the host's
   * HTTP instrumentation made one; else of the `traceparent` the call came with, but only once its
   * signature verified: the span is opened when the `verify` step ends (dated from the call's
   * start), so an unsigned call can never put its spans into a trace of its choosing.
   */
  startIngest(headers: WebhookRequestHeaders): IngestTrace {
    const { otel, tracer } = this;
    if (!otel || !tracer) return UNTRACED_INGEST;
    return new OpenTelemetryIngestTrace(otel, tracer, otel.context.active(), headers, this.kept);
  }

  /** Starts the span of one attempt at an event, as a child of the call's span stored on its row. */
  startDispatch(target: DispatchTraceTarget, attempt: number): DispatchTrace {
    const { otel, tracer } = this;
    if (!otel || !tracer) return UNTRACED_DISPATCH;
    const parent = target.traceContext ? otel.propagation.extract(otel.ROOT_CONTEXT, target.traceContext) : otel.ROOT_CONTEXT;
    const attributes: Attributes = {
      'opensms.event': target.event,
      'opensms.event_id': target.id,
      'opensms.attempt': attempt,
      'opensms.stale': target.stale,
    };
    if (target.messageId !== null) attributes['sms.message_id'] = target.messageId;
    const span = tracer.startSpan('opensms.event.dispatch', { kind: otel.SpanKind.CONSUMER, attributes }, parent);
    return new OpenTelemetryDispatchTrace(otel, tracer, otel.trace.setSpan(parent, span), span, attributes);
  }
}

/** What of a call's trace context its row keeps: the `traceparent`, and the headers the host opted into up to a size. */
interface KeptTraceContext {
  headers: readonly string[];
  maxBytes: number;
}

class OpenTelemetryIngestTrace implements IngestTrace {
  private readonly startedAt = Date.now();
  private opened?: { span: Span; context: Context };

  constructor(
    private readonly otel: OpenTelemetry,
    private readonly tracer: Tracer,
    private readonly active: Context,
    private readonly headers: WebhookRequestHeaders,
    private readonly kept: KeptTraceContext,
  ) {}

  async step<T>(name: 'verify' | 'store', run: () => Promise<T>): Promise<T> {
    if (name === 'store') {
      const { context } = this.open(false);
      return runInSpan(this.otel, this.tracer.startSpan('opensms.webhook.store', {}, context), context, run);
    }
    const startTime = Date.now();
    try {
      const verified = await run();
      this.verifyStep(this.open(true).context, startTime);
      return verified;
    } catch (error) {
      this.verifyStep(this.open(false).context, startTime, error);
      throw error;
    }
  }

  describe(event: string, messageId: string | null): void {
    const { span } = this.open(false);
    span.setAttribute('opensms.event', event);
    if (messageId !== null) span.setAttribute('sms.message_id', messageId);
  }

  carrier(): TraceCarrier | null {
    const injected: TraceCarrier = {};
    this.otel.propagation.inject(this.open(false).context, injected);
    if (injected.traceparent === undefined) return null;
    const { headers, maxBytes } = this.kept;
    const carrier: TraceCarrier = {};
    for (const name of headers) {
      const value = injected[name];
      if (value !== undefined && (name === 'traceparent' || Buffer.byteLength(value) <= maxBytes)) carrier[name] = value;
    }
    return carrier;
  }

  end(outcome: WebhookCallOutcome, detail: { eventId?: string; error?: unknown } = {}): void {
    const { span } = this.open(false);
    span.setAttribute('opensms.outcome', outcome);
    span.setAttribute('opensms.duplicate', outcome === 'duplicate');
    if (detail.eventId !== undefined) span.setAttribute('opensms.event_id', detail.eventId);
    // NOTE: refusals of the caller's making (401, 400, 413) are answers, not errors of this server.
    if (outcome === 'unavailable') markFailed(this.otel, span, detail.error);
    span.end();
  }

  /**
   * The call's span, opened once: under the host's HTTP span when there is one; else under the
   * caller's `traceparent` when `verified`, or as a new root when the call is not (yet) verified.
   */
  private open(verified: boolean): { span: Span; context: Context } {
    if (this.opened) return this.opened;
    const { otel, active } = this;
    const underHttpSpan = otel.trace.getSpan(active) !== undefined;
    const parent = underHttpSpan ? active : verified ? otel.propagation.extract(active, this.headers) : otel.ROOT_CONTEXT;
    const kind = underHttpSpan ? otel.SpanKind.INTERNAL : otel.SpanKind.SERVER;
    const span = this.tracer.startSpan('opensms.webhook.receive', { kind, startTime: this.startedAt }, parent);
    this.opened = { span, context: otel.trace.setSpan(parent, span) };
    return this.opened;
  }

  /** Records the `verify` step, which ran before the call's span could be opened, with its own times. */
  private verifyStep(context: Context, startTime: number, error?: unknown): void {
    const span = this.tracer.startSpan('opensms.webhook.verify', { startTime }, context);
    span.setAttribute('opensms.outcome', error === undefined ? 'ok' : 'failed');
    if (error !== undefined) markFailed(this.otel, span, error);
    span.end();
  }
}

class OpenTelemetryDispatchTrace implements DispatchTrace {
  constructor(
    private readonly otel: OpenTelemetry,
    private readonly tracer: Tracer,
    private readonly context: Context,
    private readonly span: Span,
    private readonly attributes: Attributes,
  ) {}

  handler<T>(name: string, run: () => Promise<T>): Promise<T> {
    const attributes = { ...this.attributes, 'opensms.handler': name };
    const span = this.tracer.startSpan(`opensms.handler ${name}`, { kind: this.otel.SpanKind.INTERNAL, attributes }, this.context);
    return runInSpan(this.otel, span, this.context, run);
  }

  outcome(outcome: DispatchTraceOutcome, failure?: unknown): void {
    this.span.setAttribute('opensms.outcome', outcome);
    if (outcome === 'failed' || outcome === 'dead') markFailed(this.otel, this.span, failure);
  }

  end(): void {
    this.span.end();
  }

  rollBack(error: unknown): void {
    this.span.setAttribute('opensms.outcome', 'failed');
    this.span.setAttribute('opensms.rolled_back', true);
    markFailed(this.otel, this.span, error);
    this.span.end();
  }
}

/** Runs `run` with `span` active under `parent`; ends the span, marked failed when `run` throws. */
async function runInSpan<T>(otel: OpenTelemetry, span: Span, parent: Context, run: () => Promise<T>): Promise<T> {
  try {
    const result = await otel.context.with(otel.trace.setSpan(parent, span), run);
    span.setAttribute('opensms.outcome', 'ok');
    return result;
  } catch (error) {
    span.setAttribute('opensms.outcome', 'failed');
    markFailed(otel, span, error);
    throw error;
  } finally {
    span.end();
  }
}

function markFailed(otel: OpenTelemetry, span: Span, error: unknown): void {
  if (error === undefined) {
    span.setStatus({ code: otel.SpanStatusCode.ERROR });
    return;
  }
  const exception = error instanceof Error ? error : String(error);
  span.recordException(exception);
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message: typeof exception === 'string' ? exception : exception.message });
}
