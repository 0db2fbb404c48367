import { Injectable, Logger } from '@nestjs/common';
import { OnSmsEvent, printable, type SmsEvent, type SmsEventContext } from '@opensms/nestjs-webhooks';
import { SmsMessageEventEntity } from './sms-message-event.entity';
import { SmsMessageEntity } from './sms-message.entity';
import { movesForward } from './sms-message-status';

/**
 * Keeps `sms_messages` in step with OpenSMS delivery reports. Every event lands in the history;
 * only events that move the message forward change it (a late `sms.pending` is recorded, not applied).
 */
@Injectable()
export class SmsMessageStatusHandler {
  private readonly logger = new Logger(SmsMessageStatusHandler.name);

  @OnSmsEvent('delivered', 'failed', 'pending')
  async onStatusReport(event: SmsEvent, ctx: SmsEventContext): Promise<void> {
    const messages = ctx.manager.getRepository(SmsMessageEntity);
    const current = await messages.findOneBy({ messageId: event.messageId });
    const error = event.type === 'failed' ? event.error : null;
    const applied = !ctx.stale && movesForward(current, event);

    if (applied) {
      await messages.save({
        messageId: event.messageId,
        phone: event.phone,
        status: event.status,
        error,
        statusAt: event.occurredAt,
        updatedAt: new Date(),
      });
    } else {
      this.logger.log(
        `${printable(event.messageId)}: ${event.type} of ${event.occurredAt.toISOString()} is older than the current status, recorded only`,
      );
    }
    await ctx.manager.insert(SmsMessageEventEntity, {
      inboxEventId: ctx.eventId,
      messageId: event.messageId,
      event: String(event.raw.event ?? `sms.${event.type}`),
      status: event.status,
      error,
      occurredAt: event.occurredAt,
      applied,
    });
  }
}
