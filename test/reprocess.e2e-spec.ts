import { type INestApplication, Injectable } from '@nestjs/common';
import {
  InvalidReprocessRequestError,
  OnSmsEvent,
  OpenSmsWebhookService,
  type SmsDeliveredEvent,
  type SmsEvent,
  type SmsEventContext,
  type SmsFailedEvent,
  type UnknownSmsEvent,
} from '@opensms/nestjs-webhooks';
import type { DataSource } from 'typeorm';
import { clearQueuePrefix, startTestApp, useTestApp, waitFor } from './support/test-app';
import { eventStates, outboxSize, storeProcessedEvents } from './support/inbox-rows';
import { connectToSchema, createSchema, dropSchema, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** One handler run as the application saw it. */
interface Run {
  handler: string;
  messageId: string | null;
  eventId: string;
  reprocessed: boolean;
}

function run(handler: string, event: SmsEvent | UnknownSmsEvent, context: SmsEventContext): Run {
  return { handler, messageId: 'messageId' in event ? event.messageId : null, eventId: context.eventId, reprocessed: context.reprocessed };
}

/** The handler whose bug was fixed: the one to run again. */
@Injectable()
class FailureHandler {
  readonly runs: Run[] = [];

  @OnSmsEvent('failed')
  onFailed(event: SmsFailedEvent, context: SmsEventContext): void {
    this.runs.push(run('FailureHandler.onFailed', event, context));
  }
}

/** A handler that must not run again. */
@Injectable()
class AuditHandler {
  readonly runs: Run[] = [];

  @OnSmsEvent('*')
  onAny(event: SmsEvent | UnknownSmsEvent, context: SmsEventContext): void {
    this.runs.push(run('AuditHandler.onAny', event, context));
  }
}

async function waitUntilFinished(db: DataSource, what: string): Promise<void> {
  await waitFor(what, async () => (await eventStates(db)).every(({ state }) => ['processed', 'ignored', 'dead'].includes(state)), 30_000);
}

describe('reprocess(): one handler again over the chosen events, after a bug fix', () => {
  const host = useTestApp('reprocess', { providers: [FailureHandler, AuditHandler] });
  let db: DataSource;
  let service: OpenSmsWebhookService;

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
    service = host.app.get(OpenSmsWebhookService);
    const calls = [
      ...[0, 1, 2, 3].map((index) =>
        smsPayload({ event: 'sms.failed', status: 'failed', message_id: `msg_rp_failed_${index}`, error: 'Invalid' }),
      ),
      ...[0, 1].map((index) => smsPayload({ event: 'sms.delivered', status: 'delivered', message_id: `msg_rp_delivered_${index}` })),
    ];
    for (const payload of calls) expect((await postSigned(host.endpoint, payload)).status).toBe(200);
    await waitFor(
      'the six events processed',
      async () => (await eventStates(db)).filter(({ state }) => state === 'processed').length === 6,
    );
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('refuses a handler the application does not have, or a state that cannot be reprocessed, and changes nothing', async () => {
    const before = await eventStates(db);
    const unknown = service.reprocess({ handlers: ['FailureHandler.onFaild'] });
    await expect(unknown).rejects.toBeInstanceOf(InvalidReprocessRequestError);
    await expect(unknown).rejects.toThrow(
      /no handler FailureHandler\.onFaild in this application \(handlers: FailureHandler\.onFailed, AuditHandler\.onAny\)/,
    );
    await expect(service.reprocess({ filter: { state: 'received' } })).rejects.toThrow(/state received cannot be reprocessed/);
    expect(await eventStates(db)).toEqual(before);
    expect(await outboxSize(db)).toBe(0);
  });

  it('plans with a dry run: how many events and which handlers would run, and changes nothing', async () => {
    const before = await eventStates(db);
    const dry = await service.reprocess({ filter: { event: 'sms.failed' }, handlers: ['FailureHandler.onFailed'], dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.plan).toEqual({
      events: 4,
      byEvent: { 'sms.failed': 4 },
      everyHandler: false,
      handlers: [{ handler: 'FailureHandler.onFailed', events: 4, completedBefore: 4 }],
    });
    await expect(dry.done).resolves.toEqual({ queued: 0, cancelled: false });
    const everything = await service.reprocess({ dryRun: true });
    expect(everything.plan).toMatchObject({ events: 6, everyHandler: true });
    expect(everything.plan.handlers).toEqual(
      expect.arrayContaining([
        { handler: 'FailureHandler.onFailed', events: 4, completedBefore: 4 },
        { handler: 'AuditHandler.onAny', events: 6, completedBefore: 6 },
      ]),
    );
    expect(await eventStates(db)).toEqual(before);
    expect(await outboxSize(db)).toBe(0);
  });

  it('runs only the named handler again, on the selected events, with ctx.reprocessed; the others keep their record', async () => {
    const failures = host.app.get(FailureHandler);
    const audit = host.app.get(AuditHandler);
    const before = new Map((await eventStates(db)).map((row) => [row.id, row.completed]));
    expect(failures.runs).toHaveLength(4);
    expect(audit.runs).toHaveLength(6);

    const reprocessing = await service.reprocess({ filter: { event: 'sms.failed' }, handlers: ['FailureHandler.onFailed'] });
    await expect(reprocessing.done).resolves.toEqual({ queued: 4, cancelled: false });
    await waitFor('the failure handler ran again on the four failed events', () => failures.runs.length === 8);
    await waitUntilFinished(db, 'the reprocessed events finished');

    const again = failures.runs.slice(4);
    expect(again.map((entry) => entry.reprocessed)).toEqual([true, true, true, true]);
    expect(failures.runs.slice(0, 4).map((entry) => entry.reprocessed)).toEqual([false, false, false, false]);
    expect(new Set(again.map((entry) => entry.messageId))).toEqual(new Set([0, 1, 2, 3].map((index) => `msg_rp_failed_${index}`)));
    expect(audit.runs).toHaveLength(6);
    for (const row of await eventStates(db)) {
      expect(row.state).toBe('processed');
      expect(row.completed['AuditHandler.onAny']).toEqual(before.get(row.id)?.['AuditHandler.onAny']);
    }
  });
});

/** The handler the application had from the start. */
@Injectable()
class EarlyHandler {
  readonly runs: Run[] = [];

  @OnSmsEvent('delivered')
  onDelivered(event: SmsDeliveredEvent, context: SmsEventContext): void {
    this.runs.push(run('EarlyHandler.onDelivered', event, context));
  }
}

/** A handler deployed after the events came. */
@Injectable()
class LateHandler {
  readonly runs: Run[] = [];

  @OnSmsEvent('*')
  onAny(event: SmsEvent | UnknownSmsEvent, context: SmsEventContext): void {
    this.runs.push(run('LateHandler.onAny', event, context));
  }
}

describe('reprocess(): backfill of a handler deployed later, over ignored and processed events', () => {
  const schema = uniqueName('backfill');
  let first: INestApplication | undefined;
  let second: INestApplication | undefined;
  let db: DataSource;

  beforeAll(async () => {
    await createSchema(schema);
    const started = await startTestApp({ schema, queuePrefix: schema, providers: [EarlyHandler] });
    first = started.app;
    const endpoint = `${started.url}/webhooks/sms`;
    for (const index of [0, 1, 2])
      expect((await postSigned(endpoint, smsPayload({ message_id: `msg_bf_delivered_${index}` }))).status).toBe(200);
    for (const index of [0, 1]) {
      expect(
        (await postSigned(endpoint, smsPayload({ event: 'sms.queued', status: 'queued', message_id: `msg_bf_queued_${index}` }))).status,
      ).toBe(200);
    }
    db = await connectToSchema(schema);
    await waitFor('three processed and two ignored', async () => {
      const states = (await eventStates(db)).map(({ state }) => state).sort();
      return JSON.stringify(states) === JSON.stringify(['ignored', 'ignored', 'processed', 'processed', 'processed']);
    });
    await first.close();
    first = undefined;
    second = (await startTestApp({ schema, queuePrefix: schema, providers: [EarlyHandler, LateHandler] })).app;
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.destroy();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('runs the new handler on every selected event and nothing else; the ignored events end processed', async () => {
    const service = second!.get(OpenSmsWebhookService);
    const dry = await service.reprocess({ handlers: ['LateHandler.onAny'], dryRun: true });
    expect(dry.plan).toEqual({
      events: 5,
      byEvent: { 'sms.delivered': 3, 'sms.queued': 2 },
      everyHandler: false,
      handlers: [{ handler: 'LateHandler.onAny', events: 5, completedBefore: 0 }],
    });

    await expect((await service.reprocess({ handlers: ['LateHandler.onAny'] })).done).resolves.toEqual({ queued: 5, cancelled: false });
    const late = second!.get(LateHandler);
    await waitFor('the late handler ran on the five events', () => late.runs.length === 5);
    await waitUntilFinished(db, 'the backfilled events finished');
    expect(late.runs.every((entry) => entry.reprocessed)).toBe(true);
    expect(second!.get(EarlyHandler).runs).toEqual([]);
    const states = await eventStates(db);
    expect(states.map(({ state }) => state)).toEqual(states.map(() => 'processed'));
    expect(states.every(({ completed }) => 'LateHandler.onAny' in completed)).toBe(true);
    expect(states.filter(({ completed }) => 'EarlyHandler.onDelivered' in completed)).toHaveLength(3);
  });
});

/** A cheap handler of delivered events, recording the order in which events ran. */
@Injectable()
class OrderRecorder {
  readonly runs: Run[] = [];

  @OnSmsEvent('delivered')
  onDelivered(event: SmsDeliveredEvent, context: SmsEventContext): void {
    this.runs.push(run('OrderRecorder.onDelivered', event, context));
  }
}

const STORED = 10_000;

describe('reprocess(): a large selection behind live traffic, and cancelled', () => {
  const host = useTestApp('reprocess_large', { providers: [OrderRecorder] });
  let db: DataSource;

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
    await storeProcessedEvents(db, {
      count: STORED,
      event: 'sms.delivered',
      messagePrefix: 'msg_stored_',
      handler: 'OrderRecorder.onDelivered',
    });
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it(`runs live events before the ${STORED.toLocaleString('en')} queued for reprocessing, and each of those once more`, async () => {
    const recorder = host.app.get(OrderRecorder);
    const service = host.app.get(OpenSmsWebhookService);
    // Every reprocessed job is on the queue before the live events come: they must overtake them all.
    await service.pause();
    const reprocessing = await service.reprocess({ handlers: ['OrderRecorder.onDelivered'], ratePerSecond: 100_000 });
    expect(reprocessing.plan.events).toBe(STORED);
    await expect(reprocessing.done).resolves.toEqual({ queued: STORED, cancelled: false });
    await waitFor('the reprocessed events on the queue', async () => (await outboxSize(db)) === 0, 60_000);
    const live = Array.from({ length: 20 }, (_, index) => `msg_live_${index}`);
    for (const messageId of live) expect((await postSigned(host.endpoint, smsPayload({ message_id: messageId }))).status).toBe(200);
    await waitFor('the live events on the queue', async () => (await outboxSize(db)) === 0);
    await service.resume();
    await waitFor('every stored event ran again', () => recorder.runs.filter((entry) => entry.reprocessed).length === STORED, 90_000);

    // NOTE: the worker takes up to worker.concurrency jobs at once, so a few reprocessed events may run among the live ones.
    const liveRuns = live.map((messageId) => recorder.runs.findIndex((entry) => entry.messageId === messageId));
    expect(liveRuns.filter((index) => index < 0 || index >= 500)).toEqual([]);
    expect(new Set(recorder.runs.filter((entry) => entry.reprocessed).map((entry) => entry.eventId)).size).toBe(STORED);
    await waitUntilFinished(db, 'every event finished');
  });

  it('stops queueing when cancelled; what was queued is processed, the rest stays as it was', async () => {
    const recorder = host.app.get(OrderRecorder);
    const service = host.app.get(OpenSmsWebhookService);
    const before = recorder.runs.length;
    const reprocessing = await service.reprocess({ handlers: ['OrderRecorder.onDelivered'], ratePerSecond: 50 });
    await waitFor('the first events queued', () => reprocessing.queued > 0);
    reprocessing.cancel();
    const outcome = await reprocessing.done;
    expect(outcome.cancelled).toBe(true);
    expect(outcome.queued).toBeLessThan(STORED);
    await waitFor('the queued events ran again', () => recorder.runs.length - before === outcome.queued);
    await waitUntilFinished(db, 'every event finished');
    expect(await outboxSize(db)).toBe(0);
    expect(recorder.runs.length - before).toBe(outcome.queued);
  });
});
