import { Controller, HttpCode, HttpStatus, mixin, Post, Req, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { InboxUnavailableFilter } from './inbox-unavailable.filter';
import { SignatureGuard, type WebhookHttpRequest } from './signature.guard';
import { type SmsEventReceipt, SmsEventIngestService } from './sms-event-ingest.service';
import { refusedCallOutcome } from './webhook-call-outcome';
import { secondsSince, SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { UNTRACED_INGEST } from '../tracing/sms-webhook.traces';

/** Builds the webhook controller for the configured route (`POST /<path>`). */
export function createOpenSmsWebhookController(path: string): Type<unknown> {
  @Controller(path)
  @UseFilters(InboxUnavailableFilter)
  class OpenSmsWebhookController {
    constructor(
      private readonly ingest: SmsEventIngestService,
      private readonly telemetry: SmsWebhookTelemetry,
    ) {}

    /** Receives one OpenSMS webhook call. See the README for every status code. */
    @Post()
    @HttpCode(HttpStatus.OK)
    @UseGuards(SignatureGuard)
    async receive(@Req() request: WebhookHttpRequest): Promise<SmsEventReceipt> {
      const seconds = () => secondsSince(request.openSmsStartedAt ?? performance.now());
      const trace = request.openSmsTrace ?? UNTRACED_INGEST;
      try {
        const receipt = await this.ingest.receive(
          request.rawBody ?? Buffer.alloc(0),
          request.headers,
          request.openSmsTenant ?? null,
          trace,
        );
        const outcome = receipt.duplicate ? 'duplicate' : 'accepted';
        this.telemetry.callAnswered({ outcome, seconds: seconds() });
        trace.end(outcome, { eventId: receipt.id });
        return receipt;
      } catch (error) {
        const outcome = refusedCallOutcome(error);
        this.telemetry.callAnswered({ outcome, seconds: seconds() });
        trace.end(outcome, { error });
        throw error;
      }
    }
  }
  return mixin(OpenSmsWebhookController);
}
