import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { EventEmitterMissingError } from '../errors/event-emitter-missing.error';
import { countsOf, type SmsEventQueries } from '../inbox/sms-event.queries';
import { backlogOf, UNFINISHED_SMS_EVENT_STATES } from '../inbox/sms-event-state';
import { OpenSmsWebhookCore } from '../opensms-webhook.core';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import type {
  ConsoleAccessRefused,
  SmsEventAttemptEnded,
  SmsWebhookTelemetry,
  WebhookCallAnswered,
} from '../telemetry/sms-webhook.telemetry';
import { BacklogAlert, ConsoleAccessRefusedAlert, SignatureFailuresAlert, SmsEventDeadAlert } from './opensms-alerts.events';
import { OPENSMS_ALERTS_OPTIONS } from './opensms-webhook-alerts.constants';
import type { ResolvedOpenSmsWebhookAlertsOptions } from './opensms-webhook-alerts-options.interface';

/** What the alerts need of the application: the webhook module's parts and the host's emitter. */
interface AlertsContext {
  telemetry: SmsWebhookTelemetry;
  queries: SmsEventQueries;
  webhookOptions: ResolvedOpenSmsWebhookOptions;
  emitter: EventEmitter2;
}

/**
 * Turns the pipeline's telemetry into alerts emitted through the host's `EventEmitter2`: a dead
 * event, a burst of unauthorized calls (per process, once per window), a console client held off
 * after too many refused requests (once per client and window), and, in worker processes,
 * a backlog above the threshold (checked every `backlogCheckIntervalMs`). A listener that throws is
 * logged, never allowed to fail a call or an event.
 */
@Injectable()
export class OpenSmsWebhookAlerts implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhookAlerts');
  private context?: AlertsContext;
  private unsubscribe?: () => void;
  private timer?: NodeJS.Timeout;
  private checking = false;
  private window = { start: 0, failures: 0 };

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(OPENSMS_ALERTS_OPTIONS) private readonly options: ResolvedOpenSmsWebhookAlertsOptions,
  ) {}

  onModuleInit(): void {
    const emitter = this.emitter();
    const { telemetry, queries, options: webhookOptions } = OpenSmsWebhookCore.in(this.moduleRef, 'OpenSmsWebhookAlertsModule');
    this.context = { emitter, telemetry, queries, webhookOptions };
    this.unsubscribe = this.context.telemetry.observe({
      attemptEnded: (end) => this.onAttemptEnded(end),
      callAnswered: (call) => this.onCallAnswered(call),
      consoleAccessRefused: (refused) => this.onConsoleAccessRefused(refused),
    });
  }

  onApplicationBootstrap(): void {
    const interval = this.options.backlogCheckIntervalMs;
    if (interval === 0 || this.context?.webhookOptions.mode === 'ingest') return;
    this.timer = setInterval(() => void this.checkBacklog(), interval);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /** Counts the backlog now and emits a {@link BacklogAlert} when it is above the threshold; resolves the alert, if any. */
  async checkBacklog(): Promise<BacklogAlert | undefined> {
    if (!this.context || this.checking) return undefined;
    this.checking = true;
    try {
      const { backlogThreshold } = this.options;
      const backlog = backlogOf(countsOf(await this.context.queries.countAndAgeByState(UNFINISHED_SMS_EVENT_STATES)));
      if (backlog <= backlogThreshold) return undefined;
      const alert = new BacklogAlert(backlog, backlogThreshold, await this.context.queries.oldestUnfinishedReceivedAt());
      this.emit(alert);
      return alert;
    } catch (error) {
      this.logger.warn(messages.backlogCheckFailed(error));
      return undefined;
    } finally {
      this.checking = false;
    }
  }

  private onAttemptEnded(end: SmsEventAttemptEnded): void {
    if (end.state !== 'dead') return;
    this.emit(new SmsEventDeadAlert(end.eventId, end.event, end.attempt, end.lastError, end.occurredAt));
  }

  private onCallAnswered(call: WebhookCallAnswered): void {
    if (call.outcome !== 'unauthorized') return;
    const { signatureFailureThreshold, signatureFailureWindowMs } = this.options;
    const now = Date.now();
    if (now - this.window.start >= signatureFailureWindowMs) this.window = { start: now, failures: 0 };
    this.window.failures += 1;
    if (this.window.failures === signatureFailureThreshold) {
      this.emit(
        new SignatureFailuresAlert(this.window.failures, signatureFailureThreshold, signatureFailureWindowMs, new Date(this.window.start)),
      );
    }
  }

  private onConsoleAccessRefused({ client, failures, windowMs, since }: ConsoleAccessRefused): void {
    this.emit(new ConsoleAccessRefusedAlert(client, failures, windowMs, since));
  }

  private emit(alert: SmsEventDeadAlert | SignatureFailuresAlert | BacklogAlert | ConsoleAccessRefusedAlert): void {
    try {
      this.context?.emitter.emit(alert.name, alert);
    } catch (error) {
      this.logger.warn(messages.alertListenerFailed(alert.name, error));
    }
  }

  private emitter(): EventEmitter2 {
    try {
      return this.moduleRef.get(EventEmitter2, { strict: false });
    } catch {
      throw new EventEmitterMissingError();
    }
  }
}
