import { Injectable } from '@nestjs/common';
import {
  OnSmsEvent,
  type SmsDeliveredEvent,
  type SmsEventContext,
  type SmsFailedEvent,
  type SmsPendingEvent,
} from '@opensms/nestjs-webhooks';
import { BenchMessage } from './bench-message.entity';

/** A realistic host handler: moves the host's message row to the reported status. */
@Injectable()
export class DeliveryStatusHandler {
  @OnSmsEvent('delivered', 'pending')
  async onProgress(event: SmsDeliveredEvent | SmsPendingEvent, ctx: SmsEventContext): Promise<void> {
    if (ctx.stale) return;
    await ctx.manager.update(
      BenchMessage,
      { messageId: event.messageId },
      { status: event.status, error: null, statusAt: event.occurredAt },
    );
  }

  @OnSmsEvent('failed')
  async onFailed(event: SmsFailedEvent, ctx: SmsEventContext): Promise<void> {
    if (ctx.stale) return;
    await ctx.manager.update(
      BenchMessage,
      { messageId: event.messageId },
      { status: 'failed', error: event.error, statusAt: event.occurredAt },
    );
  }
}
