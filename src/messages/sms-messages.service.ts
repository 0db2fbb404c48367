import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SmsMessageEventEntity } from './sms-message-event.entity';
import { SmsMessageEntity } from './sms-message.entity';
import type { SmsMessageView } from './sms-message.view';

/** Reads messages and their history. Writes happen only in {@link SmsMessageStatusHandler}. */
@Injectable()
export class SmsMessagesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A message with its history, or `null` when no event for it was processed yet. */
  async findOne(messageId: string): Promise<SmsMessageView | null> {
    const message = await this.dataSource.getRepository(SmsMessageEntity).findOneBy({ messageId });
    if (!message) return null;
    const events = await this.dataSource
      .getRepository(SmsMessageEventEntity)
      .find({ where: { messageId }, order: { occurredAt: 'ASC', id: 'ASC' } });
    return {
      messageId: message.messageId,
      phone: message.phone,
      status: message.status,
      error: message.error,
      statusAt: message.statusAt.toISOString(),
      updatedAt: message.updatedAt.toISOString(),
      history: events.map((event) => ({
        event: event.event,
        status: event.status,
        timestamp: event.occurredAt.toISOString(),
        applied: event.applied,
      })),
    };
  }
}
