import { Controller, HttpCode, HttpStatus, mixin, Post, Req, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { InboxUnavailableFilter } from './inbox-unavailable.filter';
import { SignatureGuard, type WebhookHttpRequest } from './signature.guard';
import { type SmsEventReceipt, SmsEventIngestService } from './sms-event-ingest.service';
import { refusedCallOutcome, reportAnswer } from './webhook-call-outcome';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';

/** Builds the webhook controller for the configured route (`POST /<path>`). */
export function createOpenSmsWebhookController(path: string): Type<unknown> {
  @Controller(path)
  @UseFilters(InboxUnavailableFilter)
  class OpenSmsWebhookController {
    constructor(
      private readonly ingest: SmsEventIngestService,
      private readonly telemetry: SmsWebhookTelemetry,
    ) {}

    /** Receives one OpenSMS webhook call; docs/http-contract.md lists every answer. */
    @Post()
    @HttpCode(HttpStatus.OK)
    @UseGuards(SignatureGuard)
    async receive(@Req() request: WebhookHttpRequest): Promise<SmsEventReceipt> {
      try {
        const receipt = await this.ingest.receive(
          request.rawBody ?? Buffer.alloc(0),
          request.headers,
          request.openSmsTenant ?? null,
          request.openSmsTrace,
        );
        reportAnswer(this.telemetry, request, receipt.duplicate ? 'duplicate' : 'accepted', { eventId: receipt.id });
        return receipt;
      } catch (error) {
        reportAnswer(this.telemetry, request, refusedCallOutcome(error), { error });
        throw error;
      }
    }
  }
  return mixin(OpenSmsWebhookController);
}
