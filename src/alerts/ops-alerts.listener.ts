import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { printable } from '@opensms/nestjs-webhooks';
import {
  type BacklogAlert,
  type ConsoleAccessRefusedAlert,
  OPENSMS_ALERTS,
  type SignatureFailuresAlert,
  type SmsEventDeadAlert,
} from '@opensms/nestjs-webhooks/alerts';

/** The library's alerts as log lines; a real service would page someone here. */
@Injectable()
export class OpsAlertsListener {
  private readonly logger = new Logger('Alerts');

  @OnEvent(OPENSMS_ALERTS.eventDead)
  onDead(alert: SmsEventDeadAlert): void {
    this.logger.error(
      `${printable(alert.event)} (inbox ${alert.eventId}) is dead after ${alert.attempts} attempt(s): ${printable(alert.lastError ?? 'unknown error')}`,
    );
  }

  @OnEvent(OPENSMS_ALERTS.signatureFailures)
  onSignatureFailures(alert: SignatureFailuresAlert): void {
    this.logger.warn(`${alert.failures} webhook calls with a bad signature within ${alert.windowMs / 1000} s`);
  }

  @OnEvent(OPENSMS_ALERTS.backlog)
  onBacklog(alert: BacklogAlert): void {
    this.logger.warn(`Backlog of ${alert.backlog} unfinished webhook events (threshold ${alert.threshold})`);
  }

  @OnEvent(OPENSMS_ALERTS.consoleAccessRefused)
  onConsoleAccessRefused(alert: ConsoleAccessRefusedAlert): void {
    this.logger.warn(
      `Console refused ${printable(alert.client)} ${alert.failures} times within ${alert.windowMs / 1000} s; it is held off until ${new Date(alert.since.getTime() + alert.windowMs).toISOString()}`,
    );
  }
}
