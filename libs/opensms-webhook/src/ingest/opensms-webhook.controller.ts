import { Controller, HttpCode, HttpStatus, mixin, Post, Req, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { InboxUnavailableFilter } from './inbox-unavailable.filter';
import { SignatureGuard, type WebhookHttpRequest } from './signature.guard';
import { type WebhookReceipt, WebhookIngestService } from './webhook-ingest.service';

/** Builds the webhook controller for the configured route (`POST /<path>`). */
export function createWebhookController(path: string): Type<unknown> {
  @Controller(path)
  @UseFilters(InboxUnavailableFilter)
  class OpenSmsWebhookController {
    constructor(private readonly ingest: WebhookIngestService) {}

    /** Receives one OpenSMS webhook call. See the README for every status code. */
    @Post()
    @HttpCode(HttpStatus.OK)
    @UseGuards(SignatureGuard)
    receive(@Req() request: WebhookHttpRequest): Promise<WebhookReceipt> {
      return this.ingest.receive(request.rawBody ?? Buffer.alloc(0), request.headers);
    }
  }
  return mixin(OpenSmsWebhookController);
}
