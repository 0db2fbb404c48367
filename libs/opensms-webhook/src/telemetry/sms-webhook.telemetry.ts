import { Injectable, Logger } from '@nestjs/common';
import type { SmsEventState } from '../inbox/sms-event-state';
import { messages } from '../opensms-webhook.messages';

/** How the webhook route answered a call: a bounded set, fit for a metric label. */
export type WebhookCallOutcome = 'accepted' | 'duplicate' | 'invalid' | 'unauthorized' | 'too_large' | 'unavailable';

/** A call the webhook route answered. */
export interface WebhookCallAnswered {
  outcome: WebhookCallOutcome;
  /** From the start of the signature check to the answer; `null` when the call never reached it (too large). */
  seconds: number | null;
}

/** Where one attempt left an event, reported once its transaction committed. */
export interface SmsEventAttemptEnded {
  eventId: string;
  event: string;
  state: Extract<SmsEventState, 'processed' | 'ignored' | 'failed' | 'dead'>;
  attempt: number;
  /** A later event of the same message had already been processed. */
  stale: boolean;
  /** The provider's `timestamp` of the event. */
  occurredAt: Date | null;
  /** The failure of a `failed` or `dead` attempt. */
  lastError: string | null;
}

/** One run of one handler for one event ended: it returned (its work commits with the attempt) or threw. */
export interface SmsEventHandlerRunEnded {
  eventId: string;
  event: string;
  handler: string;
  seconds: number;
  /** What the handler threw; absent when it succeeded. */
  error?: unknown;
}

/** A reconciler sweep that completed. */
export interface ReconcilerSwept {
  at: Date;
  /** Events handed back to the relay. */
  requeued: number;
}

/**
 * A client of the console reached the limit of refused requests (401 or 403 from its access check)
 * within the window, and is held off (429) until the window has passed; reported once per client
 * and window.
 */
export interface ConsoleAccessRefused {
  /** The client, by its address (`request.ip`; an IPv6 address by its /64 network), escaped for a log line. */
  client: string;
  /** Refused requests of the client in this window. */
  failures: number;
  windowMs: number;
  /** When the window began. */
  since: Date;
}

/**
 * What an integration (metrics, alerts) may listen to. Every method is optional and called
 * synchronously on the path that reports it, so it must be cheap and must not throw.
 */
export interface SmsWebhookObserver {
  callAnswered?(call: WebhookCallAnswered): void;
  attemptEnded?(end: SmsEventAttemptEnded): void;
  handlerRunEnded?(run: SmsEventHandlerRunEnded): void;
  reconcilerSwept?(sweep: ReconcilerSwept): void;
  consoleAccessRefused?(refused: ConsoleAccessRefused): void;
}

/**
 * The pipeline's observation points. With no observer each report is a loop over an empty list,
 * so a host without metrics or alerts pays nothing; an observer that throws is logged, never
 * allowed to fail a call or an event.
 */
@Injectable()
export class SmsWebhookTelemetry {
  private readonly logger = new Logger('OpenSmsWebhook');
  private observers: readonly SmsWebhookObserver[] = [];

  /** Adds an observer; returns the function that removes it. */
  observe(observer: SmsWebhookObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((kept) => kept !== observer);
    };
  }

  callAnswered(call: WebhookCallAnswered): void {
    this.report('callAnswered', call);
  }

  attemptEnded(end: SmsEventAttemptEnded): void {
    this.report('attemptEnded', end);
  }

  handlerRunEnded(run: SmsEventHandlerRunEnded): void {
    this.report('handlerRunEnded', run);
  }

  reconcilerSwept(sweep: ReconcilerSwept): void {
    this.report('reconcilerSwept', sweep);
  }

  consoleAccessRefused(refused: ConsoleAccessRefused): void {
    this.report('consoleAccessRefused', refused);
  }

  private report<K extends keyof SmsWebhookObserver>(kind: K, value: Parameters<NonNullable<SmsWebhookObserver[K]>>[0]): void {
    for (const observer of this.observers) {
      try {
        (observer[kind] as ((value: unknown) => void) | undefined)?.call(observer, value);
      } catch (error) {
        this.logger.warn(messages.observerFailed(kind, error));
      }
    }
  }
}

/** Seconds since a `performance.now()` reading. */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
