import { HttpException, HttpStatus } from '@nestjs/common';
import { InboxUnavailableError } from '../errors/inbox-unavailable.error';
import { IngestOverloadedError } from '../errors/ingest-overloaded.error';
import { SecretResolverFailedError } from '../errors/secret-resolver-failed.error';
import { secondsSince, type SmsWebhookTelemetry, type WebhookCallOutcome } from '../telemetry/sms-webhook.telemetry';
import { UNTRACED_INGEST } from '../tracing/sms-webhook.traces';
import type { WebhookHttpRequest } from './signature.guard';

/** The outcome label of a call the webhook route refused with `error`. */
export function refusedCallOutcome(error: unknown): WebhookCallOutcome {
  if (error instanceof InboxUnavailableError || error instanceof IngestOverloadedError || error instanceof SecretResolverFailedError) {
    return 'unavailable';
  }
  const status = error instanceof HttpException ? error.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
  if (status === HttpStatus.UNAUTHORIZED) return 'unauthorized';
  if (status === HttpStatus.PAYLOAD_TOO_LARGE) return 'too_large';
  if (status < HttpStatus.INTERNAL_SERVER_ERROR) return 'invalid';
  return 'unavailable';
}

/**
 * Reports the answer to a call, once: its outcome and latency (from the start of the signature
 * check) to the telemetry, and the end of its span.
 */
export function reportAnswer(
  telemetry: SmsWebhookTelemetry,
  request: WebhookHttpRequest,
  outcome: WebhookCallOutcome,
  detail: { eventId?: string; error?: unknown },
): void {
  telemetry.callAnswered({ outcome, seconds: secondsSince(request.openSmsStartedAt ?? performance.now()) });
  (request.openSmsTrace ?? UNTRACED_INGEST).end(outcome, detail);
}
