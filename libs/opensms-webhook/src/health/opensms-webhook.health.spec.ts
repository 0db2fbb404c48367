import type { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { OpenSmsWebhookCore } from '../opensms-webhook.core';
import type { SmsEventQueries, SmsEventStateFigures } from '../inbox/sms-event.queries';
import type { IndexedSmsEventState } from '../inbox/sms-event-state';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import type { SmsEventProducer } from '../queue/sms-event.producer';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { OpenSmsWebhookHealthIndicator } from './opensms-webhook.health';
import { resolveHealthThresholds } from './opensms-webhook-health.thresholds';

/** An indicator of a worker process over an inbox with `oldest` as its oldest unfinished event. */
function workerIndicator(oldest: Date | null = null) {
  const queries = {
    ping: async () => undefined,
    countAndAgeByState: async (states: readonly IndexedSmsEventState[]): Promise<SmsEventStateFigures[]> =>
      states.map((state) => {
        const held = state === 'processing' && oldest !== null;
        return { state, count: held ? 1 : 0, oldestAgeSeconds: held ? (Date.now() - oldest.getTime()) / 1000 : null };
      }),
    oldestUnfinishedReceivedAt: async () => oldest,
  } as unknown as SmsEventQueries;
  const producer = { isPaused: async () => false } as unknown as SmsEventProducer;
  const options = {
    mode: 'all',
    queue: { backend: 'redis' },
    worker: { reconcileIntervalMs: 1000 },
  } as unknown as ResolvedOpenSmsWebhookOptions;
  const telemetry = new SmsWebhookTelemetry();
  const core = { queries, telemetry, options, producer } as unknown as OpenSmsWebhookCore;
  const moduleRef = { get: (token: unknown) => (token === OpenSmsWebhookCore ? core : undefined) } as unknown as ModuleRef;
  const indicator = new OpenSmsWebhookHealthIndicator(new HealthIndicatorService(), moduleRef);
  indicator.onModuleInit();
  return { indicator, telemetry };
}

describe('OpenSmsWebhookHealthIndicator', () => {
  afterEach(() => jest.useRealTimers());

  it('reports the reconciler down once it has not swept for maxReconcilerSilenceMs, up again after a sweep', async () => {
    jest.useFakeTimers({ now: Date.parse('2025-01-01T00:00:00Z') });
    const { indicator, telemetry } = workerIndicator();

    jest.setSystemTime(Date.parse('2025-01-01T00:00:05Z'));
    const silent = await indicator.isHealthy('opensms', { maxReconcilerSilenceMs: 3000 });
    expect(silent.opensms.status).toBe('down');
    expect(silent.opensms.problems).toEqual(['reconciler: no completed sweep for 5 s, longer than 3 s']);

    telemetry.reconcilerSwept({ at: new Date('2025-01-01T00:00:04Z'), requeued: 2 });
    const swept = await indicator.isHealthy('opensms', { maxReconcilerSilenceMs: 3000 });
    expect(swept.opensms).toMatchObject({
      status: 'up',
      reconciler: { status: 'up', lastSweepAt: '2025-01-01T00:00:04.000Z', lastSweepAgo: '1 s', lastSweepRequeued: 2, maxSilence: '3 s' },
    });
  });

  it('stops listening to the reconciler when the module is destroyed', async () => {
    const { indicator, telemetry } = workerIndicator();
    indicator.onModuleDestroy();
    telemetry.reconcilerSwept({ at: new Date(), requeued: 0 });
    expect((await indicator.isHealthy()).opensms.reconciler.lastSweepAt).toBeNull();
  });

  it('reports the backlog down when its oldest unfinished event is older than maxOldestUnfinishedMs', async () => {
    jest.useFakeTimers({ now: Date.parse('2025-01-01T01:00:00Z') });
    const { indicator } = workerIndicator(new Date('2025-01-01T00:48:00Z'));

    const health = await indicator.isHealthy('opensms', { maxOldestUnfinishedMs: 600_000 });

    expect(health.opensms.status).toBe('down');
    expect(health.opensms.problems).toEqual(['backlog: the oldest unfinished event is 12 min old, older than 10 min']);
    expect(health.opensms.backlog).toMatchObject({
      status: 'down',
      unfinished: 1,
      processing: 1,
      oldestUnfinishedAge: '12 min',
      oldestUnfinishedAgeSeconds: 720,
      oldestUnfinishedReceivedAt: '2025-01-01T00:48:00.000Z',
      maxOldestUnfinishedAge: '10 min',
    });
  });
});

describe('resolveHealthThresholds', () => {
  it('fills in the documented defaults, the reconciler silence from its interval', () => {
    expect(resolveHealthThresholds({}, { worker: { reconcileIntervalMs: 30_000 } })).toEqual({
      maxBacklog: 1000,
      maxOldestUnfinishedMs: 300_000,
      maxDead: undefined,
      maxReconcilerSilenceMs: 90_000,
      timeoutMs: 2000,
      errorDetails: false,
    });
  });

  it('keeps a default where a threshold is given as undefined', () => {
    expect(resolveHealthThresholds({ maxBacklog: undefined, timeoutMs: 500 }, { worker: { reconcileIntervalMs: 1000 } })).toMatchObject({
      maxBacklog: 1000,
      timeoutMs: 500,
    });
  });
});
