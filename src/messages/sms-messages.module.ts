import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SmsMessageEventEntity } from './sms-message-event.entity';
import { SmsMessageEntity } from './sms-message.entity';
import { SmsMessageStatusHandler } from './sms-message-status.handler';
import { SmsMessagesController } from './sms-messages.controller';
import { SmsMessagesService } from './sms-messages.service';
import { CreateSmsMessages1764403200000 } from './migrations/1764403200000-create-sms-messages';

/** Migrations of the messages feature, in order. */
export const SMS_MESSAGES_MIGRATIONS = [CreateSmsMessages1764403200000];

/** Outbound SMS messages and their delivery state, kept up to date by OpenSMS webhooks. */
@Module({
  imports: [TypeOrmModule.forFeature([SmsMessageEntity, SmsMessageEventEntity])],
  controllers: [SmsMessagesController],
  providers: [SmsMessagesService, SmsMessageStatusHandler],
})
export class SmsMessagesModule {}
