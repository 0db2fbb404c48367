import { type DynamicModule, Injectable, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OnSmsEvent, OpenSmsWebhookService, type SmsDeliveredEvent, type SmsEventState } from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { randomBytes } from 'node:crypto';
import { TEST_SECRET, type TestAppScope, useTestApp, waitFor } from '../support/test-app';
import { postRaw, smsPayload, type WebhookResponse } from '../support/webhook-client';

/** What a handler saw of the active span while it ran. */
interface SeenSpan {
  messageId: string;
  traceId: string;
  spanId: string;
}

/** What a handler saw of the caller's unsigned trace headers. */
interface SeenContext {
  messageId: string;
  tracestate: string | undefined;
  baggage: Record<string, string>;
}

/** Two handlers of delivered events: one records the span it runs in, one fails as often as told. */
@Injectable()
class TracedConsumer {
  readonly seen: SeenSpan[] = [];
  readonly contexts: SeenContext[] = [];
  private readonly failuresLeft = new Map<string, number>();

  failTimes(messageId: string, times: number): void {
    this.failuresLeft.set(messageId, times);
  }

  @OnSmsEvent('delivered')
  async record(event: SmsDeliveredEvent): Promise<void> {
    const { traceId, spanId, traceState } = trace.getActiveSpan()?.spanContext() ?? { traceId: '', spanId: '' };
    this.seen.push({ messageId: event.messageId, traceId, spanId });
    const baggage = propagation.getBaggage(context.active())?.getAllEntries() ?? [];
    this.contexts.push({
      messageId: event.messageId,
      tracestate: traceState?.serialize(),
      baggage: Object.fromEntries(baggage.map(([key, entry]) => [key, entry.value])),
    });
  }

  @OnSmsEvent('delivered')
  async flaky(event: SmsDeliveredEvent): Promise<void> {
    const left = this.failuresLeft.get(event.messageId) ?? 0;
    if (left === 0) return;
    this.failuresLeft.set(event.messageId, left - 1);
    throw new Error(`flaky failure of ${event.messageId}`);
  }
}

/**
 * Stands in for the host's HTTP instrumentation: a call with `x-http-span` runs in a server span
 * the host made, as `@opentelemetry/instrumentation-http` would.
 */
@Module({})
class HostHttpSpanModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(
        (request: { headers: Record<string, string> }, response: { on(event: 'finish', listener: () => void): void }, next: () => void) => {
          if (!request.headers['x-http-span']) return next();
          const span = trace.getTracer('host-http').startSpan('POST /webhooks/sms', { kind: SpanKind.SERVER });
          response.on('finish', () => span.end());
          context.with(trace.setSpan(context.active(), span), next);
        },
      )
      .forRoutes('*');
  }
}
const hostHttpSpans: DynamicModule = { module: HostHttpSpanModule };

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

/** A fresh W3C trace to send with a call: its trace id and the caller's span id. */
function newTraceparent(): { traceId: string; parentId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
}

async function postTraced(
  endpoint: string,
  fields: Record<string, unknown>,
  traceparent?: string,
  secret = TEST_SECRET,
): Promise<WebhookResponse> {
  const signed = signWebhook(smsPayload(fields), secret);
  return postRaw(endpoint, signed.body, { ...signed.headers, ...(traceparent ? { traceparent } : {}) });
}

/** A call signed with the test secret, carrying a fresh traceparent and the given unsigned trace headers. */
async function postWithTraceHeaders(
  endpoint: string,
  messageId: string,
  headers: { tracestate: string; baggage: string },
): Promise<WebhookResponse> {
  const signed = signWebhook(smsPayload({ message_id: messageId }), TEST_SECRET);
  return postRaw(endpoint, signed.body, { ...signed.headers, traceparent: newTraceparent().header, ...headers });
}

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Waits until the trace holds `count` finished spans named `name`, and returns the trace's spans. */
async function waitForSpans(traceId: string, name: string, count: number): Promise<ReadableSpan[]> {
  await waitFor(`${count} span(s) ${name} in trace ${traceId}`, () => named(spansOf(traceId), name).length >= count);
  return spansOf(traceId);
}

async function waitForState(scope: TestAppScope, id: string, state: SmsEventState): Promise<void> {
  const service = scope.app.get(OpenSmsWebhookService);
  await waitFor(`event ${id} ${state}`, async () => (await service.findById(id))?.state === state);
}

describe('traces (OpenTelemetry)', () => {
  beforeAll(() => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    expect(context.setGlobalContextManager(contextManager.enable())).toBe(true);
    const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
    expect(propagation.setGlobalPropagator(propagator)).toBe(true);
  });

  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  describe('with tracing on (the default)', () => {
    const scope = useTestApp('tracing', { providers: [TracedConsumer], imports: [hostHttpSpans], options: { job: { attempts: 2 } } });

    it('makes the call, its dispatch and each handler one trace, continuing the caller’s traceparent', async () => {
      const { traceId, parentId, header } = newTraceparent();
      const response = await postTraced(scope.endpoint, { message_id: 'trace_ok' }, header);
      expect(response.status).toBe(200);
      const id = response.body.id as string;
      await waitForState(scope, id, 'processed');
      const spans = await waitForSpans(traceId, 'opensms.handler TracedConsumer.flaky', 1);

      const [receive] = named(spans, 'opensms.webhook.receive');
      expect(receive.kind).toBe(SpanKind.SERVER);
      expect(parentOf(receive)).toBe(parentId);
      expect(receive.attributes).toEqual({
        'opensms.event': 'sms.delivered',
        'sms.message_id': 'trace_ok',
        'opensms.outcome': 'accepted',
        'opensms.duplicate': false,
        'opensms.event_id': id,
      });
      for (const step of ['opensms.webhook.verify', 'opensms.webhook.store']) {
        const [child] = named(spans, step);
        expect(parentOf(child)).toBe(receive.spanContext().spanId);
        expect(child.status.code).toBe(SpanStatusCode.UNSET);
      }

      const [dispatch] = named(spans, 'opensms.event.dispatch');
      expect(dispatch.kind).toBe(SpanKind.CONSUMER);
      expect(parentOf(dispatch)).toBe(receive.spanContext().spanId);
      expect(dispatch.attributes).toEqual({
        'opensms.event': 'sms.delivered',
        'opensms.event_id': id,
        'sms.message_id': 'trace_ok',
        'opensms.attempt': 1,
        'opensms.stale': false,
        'opensms.outcome': 'processed',
      });
      const handlers = spans.filter((span) => span.name.startsWith('opensms.handler '));
      expect(handlers.map((span) => span.name).sort()).toEqual([
        'opensms.handler TracedConsumer.flaky',
        'opensms.handler TracedConsumer.record',
      ]);
      for (const handler of handlers) {
        expect(parentOf(handler)).toBe(dispatch.spanContext().spanId);
        expect(handler.attributes).toMatchObject({ 'sms.message_id': 'trace_ok', 'opensms.attempt': 1, 'opensms.outcome': 'ok' });
      }
      // The handler's own work (the host's instrumentations) nests under its span.
      const [record] = named(spans, 'opensms.handler TracedConsumer.record');
      expect(scope.app.get(TracedConsumer).seen).toContainEqual({ messageId: 'trace_ok', traceId, spanId: record.spanContext().spanId });

      const row = await scope.app.get(OpenSmsWebhookService).findById(id);
      expect(row?.traceContext).toEqual({ traceparent: `00-${traceId}-${receive.spanContext().spanId}-01` });

      // A duplicate is answered in its own call's trace and dispatched nowhere.
      const again = newTraceparent();
      const duplicate = await postTraced(scope.endpoint, { message_id: 'trace_ok' }, again.header);
      expect(duplicate.body).toMatchObject({ id, duplicate: true });
      const [duplicateReceive] = (await waitForSpans(again.traceId, 'opensms.webhook.receive', 1)).filter(
        (span) => span.name === 'opensms.webhook.receive',
      );
      expect(duplicateReceive.attributes).toMatchObject({
        'opensms.outcome': 'duplicate',
        'opensms.duplicate': true,
        'opensms.event_id': id,
      });
      expect(named(spansOf(again.traceId), 'opensms.event.dispatch')).toHaveLength(0);
    });

    it('stores only the traceparent of a call, neither the tracestate nor the baggage it came with, and its handlers see neither', async () => {
      const response = await postWithTraceHeaders(scope.endpoint, 'trace_state', { tracestate: 'vendor=abc', baggage: 'tenant=evil' });
      expect(response.status).toBe(200);
      const id = response.body.id as string;
      const row = await scope.app.get(OpenSmsWebhookService).findById(id);
      expect(Object.keys(row?.traceContext ?? {})).toEqual(['traceparent']);
      await waitForState(scope, id, 'processed');
      expect(scope.app.get(TracedConsumer).contexts).toContainEqual({ messageId: 'trace_state', tracestate: undefined, baggage: {} });
    });

    it('starts a trace of its own for a call without traceparent, and its dispatch joins it', async () => {
      const response = await postTraced(scope.endpoint, { message_id: 'trace_root' });
      const id = response.body.id as string;
      await waitForState(scope, id, 'processed');
      const row = await scope.app.get(OpenSmsWebhookService).findById(id);
      const traceId = row!.traceContext!.traceparent.split('-')[1];
      const spans = await waitForSpans(traceId, 'opensms.event.dispatch', 1);
      const [receive] = named(spans, 'opensms.webhook.receive');
      expect(receive.parentSpanContext).toBeUndefined();
      expect(parentOf(named(spans, 'opensms.event.dispatch')[0])).toBe(receive.spanContext().spanId);
    });

    it('gives each event of a batch its own dispatch span, in its own call’s trace', async () => {
      const calls = Array.from({ length: 8 }, (_, index) => ({ messageId: `trace_batch_${index}`, ...newTraceparent() }));
      const responses = await Promise.all(calls.map((call) => postTraced(scope.endpoint, { message_id: call.messageId }, call.header)));
      await Promise.all(responses.map((response) => waitForState(scope, response.body.id as string, 'processed')));
      for (const call of calls) {
        const spans = await waitForSpans(call.traceId, 'opensms.handler TracedConsumer.flaky', 1);
        const [receive] = named(spans, 'opensms.webhook.receive');
        const dispatches = named(spans, 'opensms.event.dispatch');
        expect(dispatches).toHaveLength(1);
        expect(dispatches[0].attributes['sms.message_id']).toBe(call.messageId);
        expect(parentOf(dispatches[0])).toBe(receive.spanContext().spanId);
        const handlers = spans.filter((span) => span.name.startsWith('opensms.handler '));
        expect(handlers.map((span) => [parentOf(span), span.attributes['sms.message_id']])).toEqual([
          [dispatches[0].spanContext().spanId, call.messageId],
          [dispatches[0].spanContext().spanId, call.messageId],
        ]);
      }
    });

    it('nests the call under the host’s HTTP span when its instrumentation made one', async () => {
      const signed = signWebhook(smsPayload({ message_id: 'trace_http' }), TEST_SECRET);
      const response = await postRaw(scope.endpoint, signed.body, { ...signed.headers, 'x-http-span': '1' });
      const id = response.body.id as string;
      await waitForState(scope, id, 'processed');
      const row = await scope.app.get(OpenSmsWebhookService).findById(id);
      const traceId = row!.traceContext!.traceparent.split('-')[1];
      const spans = await waitForSpans(traceId, 'opensms.event.dispatch', 1);
      const [http] = named(spans, 'POST /webhooks/sms');
      const [receive] = named(spans, 'opensms.webhook.receive');
      expect(receive.kind).toBe(SpanKind.INTERNAL);
      expect(parentOf(receive)).toBe(http.spanContext().spanId);
      expect(parentOf(named(spans, 'opensms.event.dispatch')[0])).toBe(receive.spanContext().spanId);
    });

    it('marks a failing handler’s span ERROR, and its retry is a second dispatch of the same trace', async () => {
      scope.app.get(TracedConsumer).failTimes('trace_retry', 1);
      const { traceId, header } = newTraceparent();
      const id = (await postTraced(scope.endpoint, { message_id: 'trace_retry' }, header)).body.id as string;
      await waitForState(scope, id, 'processed');
      const spans = await waitForSpans(traceId, 'opensms.event.dispatch', 2);

      const [receive] = named(spans, 'opensms.webhook.receive');
      const dispatches = named(spans, 'opensms.event.dispatch').sort(
        (a, b) => Number(a.attributes['opensms.attempt']) - Number(b.attributes['opensms.attempt']),
      );
      expect(dispatches.map((span) => [span.attributes['opensms.attempt'], span.attributes['opensms.outcome'], span.status.code])).toEqual([
        [1, 'failed', SpanStatusCode.ERROR],
        [2, 'processed', SpanStatusCode.UNSET],
      ]);
      for (const dispatch of dispatches) expect(parentOf(dispatch)).toBe(receive.spanContext().spanId);

      const flaky = named(spans, 'opensms.handler TracedConsumer.flaky');
      const [failed] = flaky.filter((span) => parentOf(span) === dispatches[0].spanContext().spanId);
      expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'flaky failure of trace_retry' });
      expect(failed.attributes['opensms.outcome']).toBe('failed');
      expect(failed.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([
        ['exception', 'flaky failure of trace_retry'],
      ]);
      // The retry runs only the handler that failed: the other one committed on attempt 1.
      const retried = spans.filter((span) => parentOf(span) === dispatches[1].spanContext().spanId);
      expect(retried.map((span) => [span.name, span.attributes['opensms.attempt'], span.attributes['opensms.outcome']])).toEqual([
        ['opensms.handler TracedConsumer.flaky', 2, 'ok'],
      ]);
    });

    it('keeps a dead event’s replay in the trace of the call that stored it', async () => {
      scope.app.get(TracedConsumer).failTimes('trace_dead', 2);
      const { traceId, header } = newTraceparent();
      const id = (await postTraced(scope.endpoint, { message_id: 'trace_dead' }, header)).body.id as string;
      await waitForState(scope, id, 'dead');
      const dead = named(await waitForSpans(traceId, 'opensms.event.dispatch', 2), 'opensms.event.dispatch');
      expect(dead.map((span) => [span.attributes['opensms.attempt'], span.attributes['opensms.outcome']]).sort()).toEqual([
        [1, 'failed'],
        [2, 'dead'],
      ]);

      expect(await scope.app.get(OpenSmsWebhookService).replay(id)).toBe(true);
      await waitForState(scope, id, 'processed');
      const spans = await waitForSpans(traceId, 'opensms.event.dispatch', 3);
      const [receive] = named(spans, 'opensms.webhook.receive');
      const [replayed] = named(spans, 'opensms.event.dispatch').filter((span) => span.attributes['opensms.outcome'] === 'processed');
      expect(replayed.attributes).toMatchObject({ 'opensms.attempt': 1, 'sms.message_id': 'trace_dead' });
      expect(parentOf(replayed)).toBe(receive.spanContext().spanId);
    });

    it('records a refused call with its outcome in a trace of its own, never the one its unsigned traceparent names', async () => {
      const { traceId, header } = newTraceparent();
      const before = new Set(exporter.getFinishedSpans());
      const response = await postTraced(
        scope.endpoint,
        { message_id: 'trace_forged' },
        header,
        'whsec_' + randomBytes(24).toString('base64'),
      );
      expect(response.status).toBe(401);
      const refused = () =>
        exporter
          .getFinishedSpans()
          .filter(
            (span) => !before.has(span) && span.name === 'opensms.webhook.receive' && span.attributes['opensms.outcome'] === 'unauthorized',
          );
      await waitFor('the refused call’s span', () => refused().length === 1);
      const [receive] = refused();
      expect(receive.spanContext().traceId).not.toBe(traceId);
      expect(parentOf(receive)).toBeUndefined();
      expect(spansOf(traceId)).toEqual([]);
      const spans = spansOf(receive.spanContext().traceId);
      expect(receive.attributes).toMatchObject({ 'opensms.outcome': 'unauthorized', 'opensms.duplicate': false });
      expect(receive.status.code).toBe(SpanStatusCode.UNSET);
      expect(named(spans, 'opensms.webhook.verify')[0].status.code).toBe(SpanStatusCode.ERROR);
      expect(named(spans, 'opensms.webhook.store')).toHaveLength(0);
    });
  });

  describe("with tracing: { propagate: ['tracestate', 'baggage'] }", () => {
    const scope = useTestApp('tracing_propagate', {
      providers: [TracedConsumer],
      options: { tracing: { propagate: ['tracestate', 'baggage'], maxPropagatedBytes: 64 } },
    });

    it('keeps both on the row of a verified call and hands them to its handlers', async () => {
      const response = await postWithTraceHeaders(scope.endpoint, 'trace_kept', { tracestate: 'vendor=abc', baggage: 'tenant=acme' });
      expect(response.status).toBe(200);
      const id = response.body.id as string;
      const row = await scope.app.get(OpenSmsWebhookService).findById(id);
      expect(row?.traceContext).toMatchObject({ tracestate: 'vendor=abc', baggage: 'tenant=acme' });
      await waitForState(scope, id, 'processed');
      expect(scope.app.get(TracedConsumer).contexts).toContainEqual({
        messageId: 'trace_kept',
        tracestate: 'vendor=abc',
        baggage: { tenant: 'acme' },
      });
    });

    it('leaves out a value longer than maxPropagatedBytes, whole, and accepts the call', async () => {
      const response = await postWithTraceHeaders(scope.endpoint, 'trace_long', {
        tracestate: 'vendor=abc',
        baggage: `tenant=${'x'.repeat(64)}`,
      });
      expect(response.status).toBe(200);
      const id = response.body.id as string;
      expect((await scope.app.get(OpenSmsWebhookService).findById(id))?.traceContext).toEqual({
        traceparent: expect.any(String),
        tracestate: 'vendor=abc',
      });
      await waitForState(scope, id, 'processed');
      expect(scope.app.get(TracedConsumer).contexts).toContainEqual({ messageId: 'trace_long', tracestate: 'vendor=abc', baggage: {} });
    });
  });

  describe('on Fastify', () => {
    const scope = useTestApp('tracing_fastify', { adapter: 'fastify', providers: [TracedConsumer] });

    it('continues the caller’s traceparent through ingest, dispatch and handlers', async () => {
      const { traceId, parentId, header } = newTraceparent();
      const id = (await postTraced(scope.endpoint, { message_id: 'trace_fastify' }, header)).body.id as string;
      await waitForState(scope, id, 'processed');
      const spans = await waitForSpans(traceId, 'opensms.handler TracedConsumer.record', 1);
      const [receive] = named(spans, 'opensms.webhook.receive');
      const [dispatch] = named(spans, 'opensms.event.dispatch');
      expect(parentOf(receive)).toBe(parentId);
      expect(receive.attributes).toMatchObject({ 'opensms.outcome': 'accepted', 'sms.message_id': 'trace_fastify' });
      expect(parentOf(dispatch)).toBe(receive.spanContext().spanId);
      expect(parentOf(named(spans, 'opensms.handler TracedConsumer.record')[0])).toBe(dispatch.spanContext().spanId);
    });
  });

  describe('with tracing: false', () => {
    const scope = useTestApp('tracing_off', { providers: [TracedConsumer], options: { tracing: false } });

    it('processes events as before, records no span and stores no trace context', async () => {
      const { traceId, header } = newTraceparent();
      const response = await postTraced(scope.endpoint, { message_id: 'untraced' }, header);
      expect(response.status).toBe(200);
      const id = response.body.id as string;
      await waitForState(scope, id, 'processed');
      expect((await scope.app.get(OpenSmsWebhookService).findById(id))?.traceContext).toBeNull();
      expect(spansOf(traceId)).toEqual([]);
      expect(scope.app.get(TracedConsumer).seen).toContainEqual({ messageId: 'untraced', traceId: '', spanId: '' });
    });
  });
});
