import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OnSmsEvent } from '../decorators/on-sms-event.decorator';
import { SmsDeliveredEvent, type SmsEvent, type SmsEventContext, SmsFailedEvent, UnknownSmsEvent } from '../events/sms-events';
import { dispatchToHandlers } from './dispatch-to-handlers';
import { smsEventPayload } from './sms-event-payload';

const manager = { marker: 'test-manager' } as unknown as EntityManager;

const failedPayload = smsEventPayload({ event: 'sms.failed' });

/** A host handler class as a user would write it. */
@Injectable()
class DeliveryStatusHandler {
  readonly calls: { handler: string; event: SmsEvent | UnknownSmsEvent; context: SmsEventContext }[] = [];

  @OnSmsEvent('failed')
  async onFailed(event: SmsFailedEvent, context: SmsEventContext): Promise<void> {
    this.calls.push({ handler: 'failed', event, context });
  }

  @OnSmsEvent('delivered')
  onDelivered(event: SmsDeliveredEvent, context: SmsEventContext): void {
    this.calls.push({ handler: 'delivered', event, context });
  }
}

@Injectable()
class AuditHandler {
  readonly events: (SmsEvent | UnknownSmsEvent)[] = [];

  @OnSmsEvent('*')
  onAny(event: SmsEvent | UnknownSmsEvent): void {
    this.events.push(event);
  }
}

@Injectable()
class BrokenHandler {
  @OnSmsEvent('failed')
  onFailed(): void {
    throw new Error('cannot update the message');
  }
}

describe('dispatchToHandlers', () => {
  it('runs the matching handlers with a typed event and a full context; returns their names', async () => {
    const status = new DeliveryStatusHandler();
    const audit = new AuditHandler();

    const ran = await dispatchToHandlers([status, audit], failedPayload, { manager, stale: true });

    expect(ran).toEqual(['DeliveryStatusHandler.onFailed', 'AuditHandler.onAny']);
    expect(status.calls).toHaveLength(1);
    const [{ handler, event, context }] = status.calls;
    expect(handler).toBe('failed');
    expect(event).toBeInstanceOf(SmsFailedEvent);
    expect(event).toMatchObject({
      type: 'failed',
      messageId: 'msg_123456',
      phone: '+254712345678',
      status: 'failed',
      error: 'Invalid phone number',
      occurredAt: new Date('2024-01-13T12:00:00Z'),
      raw: failedPayload,
    });
    expect(context).toEqual({
      manager,
      stale: true,
      attempt: 1,
      eventId: expect.any(String),
      receivedAt: expect.any(Date),
      tenant: null,
      reprocessed: false,
    });
    expect(audit.events).toEqual([event]);
  });

  it('runs no handler of another type', async () => {
    const status = new DeliveryStatusHandler();

    const ran = await dispatchToHandlers([status], { ...failedPayload, event: 'sms.delivered', status: 'delivered' }, { manager });

    expect(ran).toEqual(['DeliveryStatusHandler.onDelivered']);
    expect(status.calls.map((call) => call.event)).toEqual([expect.any(SmsDeliveredEvent)]);
  });

  it("gives an event type this version does not know only to '*' handlers, as an UnknownSmsEvent", async () => {
    const status = new DeliveryStatusHandler();
    const audit = new AuditHandler();

    const ran = await dispatchToHandlers([status, audit], { event: 'whatsapp.read', message_id: 'msg_9' }, { manager });

    expect(ran).toEqual(['AuditHandler.onAny']);
    expect(status.calls).toEqual([]);
    expect(audit.events).toEqual([expect.any(UnknownSmsEvent)]);
    expect(audit.events[0]).toMatchObject({ name: 'whatsapp.read', messageId: 'msg_9' });
  });

  it('lets a handler error propagate', async () => {
    await expect(dispatchToHandlers([new BrokenHandler()], failedPayload, { manager })).rejects.toThrow('cannot update the message');
  });
});
