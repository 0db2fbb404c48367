import { Injectable } from '@nestjs/common';
import { OnSmsEvent, type SmsEvent, type SmsEventContext } from '@opensms/nestjs-webhooks';
import { movesForward } from '../src/messages/sms-message-status';
import { BenchMessage, BenchMessageEvent } from './bench-message.entity';

/**
 * The example app's handler (src/messages/sms-message-status.handler.ts) on the bench's tables, in
 * three statements through `ctx.manager`: read the message, upsert it when the event moves it
 * forward, insert the history row. Tells `onHandled` listeners of each event it handled.
 */
@Injectable()
export class DeliveryStatusHandler {
  private readonly listeners: (() => void)[] = [];

  @OnSmsEvent('delivered', 'failed', 'pending')
  async onStatusReport(event: SmsEvent, ctx: SmsEventContext): Promise<void> {
    const messages = ctx.manager.getRepository(BenchMessage);
    const current = await messages.findOneBy({ messageId: event.messageId });
    const error = event.type === 'failed' ? event.error : null;
    const applied = !ctx.stale && movesForward(current, event);
    if (applied) {
      const row = { messageId: event.messageId, phone: event.phone, status: event.status, error, statusAt: event.occurredAt };
      await messages.upsert({ ...row, updatedAt: new Date() }, ['messageId']);
    }
    await ctx.manager.insert(BenchMessageEvent, {
      inboxEventId: ctx.eventId,
      messageId: event.messageId,
      event: String(event.raw.event ?? `sms.${event.type}`),
      status: event.status,
      error,
      occurredAt: event.occurredAt,
      applied,
    });
    this.listeners.forEach((listener) => listener());
  }

  /** Calls `listener` after each event handled (before the library commits it). */
  onHandled(listener: () => void): void {
    this.listeners.push(listener);
  }
}
