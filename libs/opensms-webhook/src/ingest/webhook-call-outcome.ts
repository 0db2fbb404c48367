import { HttpException, HttpStatus } from '@nestjs/common';
import { InboxUnavailableError } from '../errors/inbox-unavailable.error';
import { IngestOverloadedError } from '../errors/ingest-overloaded.error';
import { SecretResolverFailedError } from '../errors/secret-resolver-failed.error';
import type { WebhookCallOutcome } from '../telemetry/sms-webhook.telemetry';

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
