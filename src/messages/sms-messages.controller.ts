import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import type { SmsMessageView } from './sms-message.view';
import { SmsMessagesService } from './sms-messages.service';

@Controller('messages')
export class SmsMessagesController {
  constructor(private readonly messages: SmsMessagesService) {}

  /** A message's delivery state and history; 404 when OpenSMS reported nothing about it yet. */
  @Get(':messageId')
  async findOne(@Param('messageId') messageId: string): Promise<SmsMessageView> {
    const message = await this.messages.findOne(messageId);
    if (!message) throw new NotFoundException(`No message ${messageId}`);
    return message;
  }
}
