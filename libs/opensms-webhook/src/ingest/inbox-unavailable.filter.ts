import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InboxUnavailableError } from '../errors/inbox-unavailable.error';
import { IngestOverloadedError } from '../errors/ingest-overloaded.error';
import { SecretResolverFailedError } from '../errors/secret-resolver-failed.error';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';

/**
 * Answers {@link InboxUnavailableError}, {@link IngestOverloadedError} and
 * {@link SecretResolverFailedError} with 503 and `Retry-After`, so OpenSMS delivers the call again later.
 */
@Catch(InboxUnavailableError, IngestOverloadedError, SecretResolverFailedError)
export class InboxUnavailableFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {}

  catch(error: InboxUnavailableError | IngestOverloadedError | SecretResolverFailedError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'Retry-After', String(this.options.ingest.retryAfterSeconds));
    httpAdapter.reply(
      response,
      serviceUnavailableBody(
        error instanceof IngestOverloadedError
          ? 'The webhook inbox is busy; the event was not stored. Deliver it again later.'
          : error instanceof SecretResolverFailedError
            ? 'The webhook secret lookup failed; the call was not verified and not stored. Deliver it again later.'
            : 'The webhook inbox is unavailable; the event was not stored. Deliver it again later.',
      ),
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

/** The JSON body of every 503 of the webhook route: why the call was not stored, and to deliver it again. */
export function serviceUnavailableBody(message: string): { statusCode: number; error: string; message: string } {
  return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message };
}
