import { Injectable, Module } from '@nestjs/common';
import { OnSmsEvent, OpenSmsWebhookService, type SmsEvent, type SmsEventState } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/metrics';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { Registry } from 'prom-client';
import { MetricsController } from '../../src/metrics/metrics.controller';
import { type HttpAdapterName, type TestAppScope, TEST_SECRET, useTestApp, waitFor } from '../support/test-app';
import { postRaw, postSigned, smsPayload } from '../support/webhook-client';

/** A handler that records every known event, and one that fails as its message id asks: `msg_flaky` once, `msg_doomed` always. */
@Injectable()
class MetricsProbe {
  private readonly failed = new Set<string>();

  @OnSmsEvent('delivered', 'failed', 'pending')
  async record(): Promise<void> {}

  @OnSmsEvent('delivered', 'failed', 'pending')
  async risky(event: SmsEvent): Promise<void> {
    if (event.messageId === 'msg_doomed') throw new Error('doomed');
    if (event.messageId === 'msg_flaky' && !this.failed.has(event.messageId)) {
      this.failed.add(event.messageId);
      throw new Error('flaky');
    }
  }
}

/** The metrics module on a registry of the test's, served by the example app's controller. */
function metricsModule(registry: Registry, registration: 'forRoot' | 'forRootAsync') {
  @Module({
    imports: [
      registration === 'forRoot'
        ? OpenSmsWebhookMetricsModule.forRoot({ registry, inboxCacheMs: 0 })
        : OpenSmsWebhookMetricsModule.forRootAsync({ useFactory: async () => ({ registry, inboxCacheMs: 0 }) }),
    ],
    controllers: [MetricsController],
  })
  class MetricsTestModule {}
  return { module: MetricsTestModule };
}

/** Samples of a Prometheus text exposition, keyed `name{label="value",…}` with the labels sorted. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name}="${value}"`).sort();
    samples.set(labels.length > 0 ? `${match[1]}{${labels.join(',')}}` : match[1], Number(match[3]));
  }
  return samples;
}

async function scrape(scope: TestAppScope): Promise<{ text: string; sample: (key: string) => number | undefined }> {
  const response = await fetch(`${scope.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const samples = parseExposition(text);
  return { text, sample: (key) => samples.get(key) };
}

async function statesOf(service: OpenSmsWebhookService, ids: readonly string[]): Promise<(SmsEventState | undefined)[]> {
  return Promise.all(ids.map(async (id) => (await service.findById(id))?.state));
}

describe.each<[HttpAdapterName, 'forRoot' | 'forRootAsync']>([
  ['express', 'forRoot'],
  ['fastify', 'forRootAsync'],
])('Prometheus metrics (%s, %s)', (adapter, registration) => {
  const registry = new Registry();
  const scope = useTestApp(`metrics_${adapter}`, {
    adapter,
    providers: [MetricsProbe],
    imports: [metricsModule(registry, registration)],
    options: { job: { attempts: 2 } },
  });
  let service: OpenSmsWebhookService;
  const ids: Record<string, string> = {};

  beforeAll(() => {
    service = scope.app.get(OpenSmsWebhookService);
  });

  async function post(name: string, fields: Record<string, unknown>): Promise<void> {
    const response = await postSigned(scope.endpoint, smsPayload(fields));
    expect(response.status).toBe(200);
    ids[name] = response.body.id;
  }

  it('counts every answer by outcome and shows the stored events as backlog while processing is paused', async () => {
    await service.pause();
    await post('ok', { event: 'sms.delivered', message_id: 'msg_ok', timestamp: '2024-01-13T12:00:10Z' });
    await post('flaky', { event: 'sms.failed', message_id: 'msg_flaky' });
    await post('doomed', { event: 'sms.pending', message_id: 'msg_doomed' });
    await post('unknown', { event: 'sms.read', message_id: 'msg_read', status: 'read' });
    expect(
      (await postSigned(scope.endpoint, smsPayload({ event: 'sms.delivered', message_id: 'msg_ok', timestamp: '2024-01-13T12:00:10Z' })))
        .body,
    ).toMatchObject({ duplicate: true });
    const forged = signWebhook(smsPayload({ message_id: 'msg_forged' }), TEST_SECRET);
    expect((await postRaw(scope.endpoint, forged.body, { ...forged.headers, 'webhook-signature': 'v1,AAAA' })).status).toBe(401);
    expect((await postSigned(scope.endpoint, smsPayload({ message_id: 'msg_bad_phone', phone: 'not a phone' }))).status).toBe(400);

    const { text, sample } = await scrape(scope);
    expect(sample('opensms_webhook_calls_total{outcome="accepted"}')).toBe(4);
    expect(sample('opensms_webhook_calls_total{outcome="duplicate"}')).toBe(1);
    expect(sample('opensms_webhook_calls_total{outcome="unauthorized"}')).toBe(1);
    expect(sample('opensms_webhook_calls_total{outcome="invalid"}')).toBe(1);
    expect(sample('opensms_webhook_ingest_duration_seconds_count{outcome="accepted"}')).toBe(4);
    expect(sample('opensms_webhook_ingest_duration_seconds_bucket{le="+Inf",outcome="unauthorized"}')).toBe(1);
    expect(sample('opensms_webhook_backlog_events{state="received"}')).toBe(4);
    expect(sample('opensms_webhook_backlog_events{state="failed"}')).toBe(0);
    expect(sample('opensms_webhook_oldest_unfinished_age_seconds')).toBeGreaterThan(0);
    expect(sample('opensms_webhook_dead_events')).toBe(0);
    expect(text).toContain('# TYPE opensms_webhook_event_lag_seconds histogram');
    // Never an unbounded value as a label.
    expect(text).not.toMatch(/msg_|\+254|inbox/);
  });

  it('counts attempts by event type and final state, handler runs and failures, lag, stale events, and the backlog once processed', async () => {
    await service.resume();
    const expected: SmsEventState[] = ['processed', 'processed', 'dead', 'ignored'];
    const started = [ids.ok, ids.flaky, ids.doomed, ids.unknown];
    await waitFor('every event at its end', async () => (await statesOf(service, started)).join() === expected.join(), 30_000);
    // A late `sms.pending` of an already delivered message: its handlers see ctx.stale.
    await post('late', { event: 'sms.pending', message_id: 'msg_ok', timestamp: '2024-01-13T12:00:05Z' });
    // NOTE: attempts are reported right after their commit, so the row may be seen a moment before the metric.
    let sample = (await scrape(scope)).sample;
    await waitFor('the late event counted', async () => {
      sample = (await scrape(scope)).sample;
      return sample('opensms_webhook_events_total{event="sms.pending",state="processed"}') === 1;
    });
    expect((await statesOf(service, [ids.late]))[0]).toBe('processed');
    expect(sample('opensms_webhook_events_total{event="sms.delivered",state="processed"}')).toBe(1);
    expect(sample('opensms_webhook_events_total{event="sms.failed",state="failed"}')).toBe(1);
    expect(sample('opensms_webhook_events_total{event="sms.failed",state="processed"}')).toBe(1);
    expect(sample('opensms_webhook_events_total{event="sms.pending",state="failed"}')).toBe(1);
    expect(sample('opensms_webhook_events_total{event="sms.pending",state="dead"}')).toBe(1);
    expect(sample('opensms_webhook_events_total{event="sms.pending",state="processed"}')).toBe(1);
    expect(sample('opensms_webhook_events_total{event="other",state="ignored"}')).toBe(1);
    // `record` commits on the first attempt and is not run again; `risky` runs again after each failure.
    expect(sample('opensms_webhook_handler_duration_seconds_count{handler="MetricsProbe.record"}')).toBe(4);
    expect(sample('opensms_webhook_handler_duration_seconds_count{handler="MetricsProbe.risky"}')).toBe(6);
    expect(sample('opensms_webhook_handler_failures_total{handler="MetricsProbe.risky"}')).toBe(3);
    expect(sample('opensms_webhook_handler_failures_total{handler="MetricsProbe.record"}')).toBeUndefined();
    expect(sample('opensms_webhook_event_lag_seconds_count')).toBe(3);
    expect(sample('opensms_webhook_event_lag_seconds_sum')).toBeGreaterThan(3 * 86_400);
    expect(sample('opensms_webhook_stale_events_total')).toBe(1);
    expect(sample('opensms_webhook_backlog_events{state="received"}')).toBe(0);
    expect(sample('opensms_webhook_backlog_events{state="processing"}')).toBe(0);
    expect(sample('opensms_webhook_backlog_events{state="failed"}')).toBe(0);
    expect(sample('opensms_webhook_oldest_unfinished_age_seconds')).toBe(0);
    expect(sample('opensms_webhook_dead_events')).toBe(1);
  });
});

describe('Prometheus metrics of two applications in one registry', () => {
  const registry = new Registry();
  const first = useTestApp('metrics_shared_1', { imports: [metricsModule(registry, 'forRoot')] });
  const second = useTestApp('metrics_shared_2', { imports: [metricsModule(registry, 'forRoot')] });

  it('share one set of metrics, whose counts add up', async () => {
    expect((await postSigned(first.endpoint, smsPayload({ message_id: 'msg_first' }))).status).toBe(200);
    expect((await postSigned(second.endpoint, smsPayload({ message_id: 'msg_second' }))).status).toBe(200);
    for (const scope of [first, second]) {
      expect((await scrape(scope)).sample('opensms_webhook_calls_total{outcome="accepted"}')).toBe(2);
    }
  });
});
