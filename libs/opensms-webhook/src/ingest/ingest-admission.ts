import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventLoopDelay } from '../internal/event-loop-delay';
import { FailureBurst } from '../internal/failure-burst';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { serviceUnavailableBody } from './inbox-unavailable.filter';
import { SmsEventIngestService } from './sms-event-ingest.service';

/** The answer to a call refused at the door: status, headers and the JSON body. */
export interface WebhookRefusal {
  status: 503;
  headers: Record<string, string>;
  body: string;
}

/**
 * Decides, before a webhook call's body is read, whether this process can take it: not while its
 * event loop is more than `ingest.maxEventLoopDelayMs` behind, nor while a call has waited more
 * than `ingest.maxInboxWaitMs` for its inbox insert (each off at `0`). A refused call is answered
 * 503 with `Retry-After` at once, having cost almost nothing, so that a process saturated by the
 * calls it already took still answers every new one quickly. Refusals are counted as
 * `unavailable` calls, and logged once per burst, never once per call.
 */
@Injectable()
export class IngestAdmission implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OpenSmsWebhook');
  private readonly refusals = new FailureBurst(this.logger);
  private delay: EventLoopDelay | null = null;
  private readonly maxDelayMs: number;
  private readonly maxInboxWaitMs: number;
  /** The same for every refusal: built once. */
  readonly refusal: WebhookRefusal;

  constructor(
    @Inject(OPENSMS_RESOLVED_OPTIONS) options: ResolvedOpenSmsWebhookOptions,
    private readonly telemetry: SmsWebhookTelemetry,
    private readonly ingest: SmsEventIngestService,
  ) {
    this.maxDelayMs = options.ingest.maxEventLoopDelayMs;
    this.maxInboxWaitMs = options.ingest.maxInboxWaitMs;
    const body = JSON.stringify(
      serviceUnavailableBody('The webhook receiver is busy; the call was not read and not stored. Deliver it again later.'),
    );
    this.refusal = {
      status: 503,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        'retry-after': String(options.ingest.retryAfterSeconds),
      },
      body,
    };
  }

  /** Whether a call may be read now. A call refused here is counted; answer it with {@link refusal}. */
  admits(): boolean {
    const delayMs = this.delay?.currentMs() ?? 0;
    if (delayMs > this.maxDelayMs) {
      return this.refused((refused) => messages.eventLoopBehind(delayMs, this.maxDelayMs, refused));
    }
    const inboxWaitMs = this.maxInboxWaitMs > 0 ? this.ingest.inboxWaitMs : 0;
    if (inboxWaitMs > this.maxInboxWaitMs) {
      return this.refused((refused) => messages.inboxBehind(inboxWaitMs, this.maxInboxWaitMs, refused));
    }
    return true;
  }

  /**
   * Starts sampling the event loop once the application has started: the long ticks of its own
   * start-up would otherwise turn away the first calls it gets.
   */
  onApplicationBootstrap(): void {
    if (this.maxDelayMs > 0) this.delay ??= new EventLoopDelay();
  }

  onModuleDestroy(): void {
    this.delay?.stop();
  }

  private refused(message: (refused: number) => string): false {
    this.telemetry.callAnswered({ outcome: 'unavailable', seconds: null });
    this.refusals.warn(message);
    return false;
  }
}
