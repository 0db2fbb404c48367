import { Controller, HttpCode, HttpStatus, mixin, Post, Req, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { InboxUnavailableFilter } from './inbox-unavailable.filter';
import { SignatureGuard, type WebhookHttpRequest } from './signature.guard';
import { type SmsEventReceipt, SmsEventIngestService } from './sms-event-ingest.service';

/** Builds the webhook controller for the configured route (`POST /<path>`). */
export function createOpenSmsWebhookController(path: string): Type<unknown> {
  @Controller(path)
  @UseFilters(InboxUnavailableFilter)
  class OpenSmsWebhookController {
    constructor(private readonly ingest: SmsEventIngestService) {}

    /** Receives one OpenSMS webhook call. See the README for every status code. */
    @Post()
    @HttpCode(HttpStatus.OK)
    @UseGuards(SignatureGuard)
    receive(@Req() request: WebhookHttpRequest): Promise<SmsEventReceipt> {
      return this.ingest.receive(request.rawBody ?? Buffer.alloc(0), request.headers, request.openSmsTenant ?? null);
    }
  }
  return mixin(OpenSmsWebhookController);
}
