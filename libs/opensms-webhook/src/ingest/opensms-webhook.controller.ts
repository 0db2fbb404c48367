import { Controller, HttpCode, HttpStatus, Post, Req, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { InboxUnavailableFilter } from './inbox-unavailable.filter';
import { SignatureGuard } from './signature.guard';
import { type SmsEventReceipt, SmsEventIngestService } from './sms-event-ingest.service';
import { WebhookCall, type WebhookHttpRequest } from './webhook-call';

/**
 * Builds the webhook controller for the configured route (`POST /<path>`). A call goes through:
 * {@link SignatureGuard} (begins the {@link WebhookCall}, verifies with `WebhookVerificationService`),
 * then {@link SmsEventIngestService} (parses and stores it durably), then the answer the call reports.
 */
export function createOpenSmsWebhookController(path: string): Type<unknown> {
  @Controller(path)
  @UseFilters(InboxUnavailableFilter)
  class OpenSmsWebhookController {
    constructor(private readonly ingest: SmsEventIngestService) {}

    /** Receives one OpenSMS webhook call; docs/http-contract.md lists every answer. */
    @Post()
    @HttpCode(HttpStatus.OK)
    @UseGuards(SignatureGuard)
    async receive(@Req() request: WebhookHttpRequest): Promise<SmsEventReceipt> {
      // NOTE: the guard began the call and verified it before the route runs.
      const call = WebhookCall.of(request)!;
      try {
        const receipt = await this.ingest.receive(call.verified!, request.headers, call.trace);
        call.accepted(receipt);
        return receipt;
      } catch (error) {
        call.refused(error);
        throw error;
      }
    }
  }
  return OpenSmsWebhookController;
}
