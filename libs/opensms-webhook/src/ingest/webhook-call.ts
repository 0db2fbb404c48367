import { HttpException, HttpStatus } from '@nestjs/common';
import { InboxUnavailableError } from '../errors/inbox-unavailable.error';
import { IngestOverloadedError } from '../errors/ingest-overloaded.error';
import { SecretResolverFailedError } from '../errors/secret-resolver-failed.error';
import type { WebhookRequestHeaders } from '../opensms-webhook-verifier.interface';
import { secondsSince, type SmsWebhookTelemetry, type WebhookCallOutcome } from '../telemetry/sms-webhook.telemetry';
import type { IngestTrace } from '../tracing/sms-webhook.traces';
import type { SmsWebhookTracing } from '../tracing/sms-webhook.tracing';

const CALL = Symbol('opensms.webhook.call');

/** The parts of an Express or Fastify request the webhook route reads. */
export interface WebhookHttpRequest {
  headers: WebhookRequestHeaders;
  rawBody?: Buffer;
  /** The call begun for this request by the signature guard. */
  [CALL]?: WebhookCall;
}

/** What the signature check established about a call. */
export interface VerifiedWebhookCall {
  /** The exact bytes whose signature verified. */
  rawBody: Buffer;
  /** The tenant whose secret verified the call, else `null`. */
  tenant: string | null;
  /** The id the scheme signs for the delivery, the same on every retry of it, when the scheme has one. */
  deliveryId?: string;
}

/**
 * One webhook call, from the start of its signature check to its answer: the one place that starts
 * and ends its span and reports its outcome and latency, once. The signature guard begins it (and
 * ends it when it refuses the call); the controller ends it with the receipt or the refusal.
 */
export class WebhookCall {
  /** Set once the signature verified. */
  verified?: VerifiedWebhookCall;
  private readonly startedAt = performance.now();
  private ended = false;

  private constructor(
    /** The call's span (`opensms.webhook.receive`); its steps run in children of it. */
    readonly trace: IngestTrace,
    private readonly telemetry: SmsWebhookTelemetry,
  ) {}

  /** Begins the call of `request` and its span. */
  static begin(request: WebhookHttpRequest, telemetry: SmsWebhookTelemetry, tracing: SmsWebhookTracing): WebhookCall {
    const call = new WebhookCall(tracing.startIngest(request.headers), telemetry);
    request[CALL] = call;
    return call;
  }

  /** The call begun for `request`; `undefined` when the guard never saw it (the framework refused it first). */
  static of(request: WebhookHttpRequest): WebhookCall | undefined {
    return request[CALL];
  }

  /** Answers the call with the receipt of its stored event. */
  accepted(receipt: { id: string; duplicate: boolean }): void {
    this.end(receipt.duplicate ? 'duplicate' : 'accepted', { eventId: receipt.id });
  }

  /** Answers the call with the refusal `error`. */
  refused(error: unknown): void {
    this.end(refusedCallOutcome(error), { error });
  }

  private end(outcome: WebhookCallOutcome, detail: { eventId?: string; error?: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    this.telemetry.callAnswered({ outcome, seconds: secondsSince(this.startedAt) });
    this.trace.end(outcome, detail);
  }
}

/** The outcome label of a call refused with `error`. */
function refusedCallOutcome(error: unknown): WebhookCallOutcome {
  if (error instanceof InboxUnavailableError || error instanceof IngestOverloadedError || error instanceof SecretResolverFailedError) {
    return 'unavailable';
  }
  const status = error instanceof HttpException ? error.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
  if (status === HttpStatus.UNAUTHORIZED) return 'unauthorized';
  if (status === HttpStatus.PAYLOAD_TOO_LARGE) return 'too_large';
  if (status < HttpStatus.INTERNAL_SERVER_ERROR) return 'invalid';
  return 'unavailable';
}
