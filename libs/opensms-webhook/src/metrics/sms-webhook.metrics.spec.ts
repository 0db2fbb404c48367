import { Counter, Registry } from 'prom-client';
import { MetricNameTakenError } from '../errors/metric-name-taken.error';
import { eventLabel, OPENSMS_WEBHOOK_METRICS, SmsWebhookMetricSet } from './sms-webhook.metrics';

const OPTIONS = { durationBuckets: [0.1, 1], lagBuckets: [1, 10] };

describe('SmsWebhookMetricSet', () => {
  it('is created once per registry and shared by every module using it', async () => {
    const registry = new Registry();
    const first = SmsWebhookMetricSet.in(registry, OPTIONS);
    expect(SmsWebhookMetricSet.in(registry, OPTIONS)).toBe(first);
    first.callAnswered({ outcome: 'accepted', seconds: 0.01 });
    SmsWebhookMetricSet.in(registry, OPTIONS).callAnswered({ outcome: 'accepted', seconds: null });
    expect(await registry.getSingleMetricAsString(OPENSMS_WEBHOOK_METRICS.calls)).toContain(
      'opensms_webhook_calls_total{outcome="accepted"} 2',
    );
    expect(await registry.getSingleMetricAsString(OPENSMS_WEBHOOK_METRICS.ingestDuration)).toContain(
      'opensms_webhook_ingest_duration_seconds_count{outcome="accepted"} 1',
    );
  });

  it('registers again in a registry that was cleared', () => {
    const registry = new Registry();
    const first = SmsWebhookMetricSet.in(registry, OPTIONS);
    registry.clear();
    expect(SmsWebhookMetricSet.in(registry, OPTIONS)).not.toBe(first);
    expect(registry.getSingleMetric(OPENSMS_WEBHOOK_METRICS.backlog)).toBeDefined();
  });

  it('refuses a registry holding a metric of one of its names that it did not create, registering nothing', () => {
    const registry = new Registry();
    new Counter({ name: OPENSMS_WEBHOOK_METRICS.deadEvents, help: 'Not ours.', registers: [registry] });
    expect(() => SmsWebhookMetricSet.in(registry, OPTIONS)).toThrow(MetricNameTakenError);
    expect(registry.getMetricsAsArray()).toHaveLength(1);
  });

  it('keeps the gauges at their last values when the inbox cannot be read', async () => {
    const registry = new Registry();
    const metrics = SmsWebhookMetricSet.in(registry, OPTIONS);
    let figures: { backlog: Map<string, number>; dead: number; oldestUnfinishedAgeSeconds: number } | null = {
      backlog: new Map([['received', 3]]),
      dead: 2,
      oldestUnfinishedAgeSeconds: 7,
    };
    const detach = metrics.addInboxSource({ read: async () => figures });
    expect(await registry.metrics()).toMatch(/opensms_webhook_backlog_events\{state="received"\} 3[\s\S]*opensms_webhook_dead_events 2/);
    figures = null;
    expect(await registry.getSingleMetricAsString(OPENSMS_WEBHOOK_METRICS.oldestUnfinishedAge)).toContain(
      'opensms_webhook_oldest_unfinished_age_seconds 7',
    );
    detach();
  });

  it('labels unknown event types as other', () => {
    expect(eventLabel('sms.delivered')).toBe('sms.delivered');
    expect(eventLabel('sms.read')).toBe('other');
    expect(eventLabel('__proto__')).toBe('other');
  });
});
