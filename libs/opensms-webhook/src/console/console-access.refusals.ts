import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { FailureBurst } from '../internal/failure-burst';
import { printable } from '../internal/printable';
import { OpenSmsWebhookCore } from '../opensms-webhook.core';
import { messages } from '../opensms-webhook.messages';
import type { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { ConsoleAccessThrottle } from './console-access.throttle';

/**
 * The refused console requests of the application: counted per client by a
 * {@link ConsoleAccessThrottle}, logged once per burst (a warning, at most one a window), and
 * reported through the telemetry when a client reaches the limit, for the alerts to turn into an
 * alert. One instance per console module, shared by every route.
 */
@Injectable()
export class ConsoleAccessRefusals implements OnModuleInit {
  private readonly logger = new Logger('OpenSmsWebhookConsole');
  private readonly throttle = new ConsoleAccessThrottle();
  private readonly burst = new FailureBurst(this.logger, this.throttle.windowMs);
  private telemetry?: SmsWebhookTelemetry;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    this.telemetry = OpenSmsWebhookCore.in(this.moduleRef, 'OpenSmsWebhookConsoleModule').telemetry;
  }

  /** Whole seconds `client` must wait before its access is checked again (counted as refused); 0 when it may be checked now. */
  heldOff(client: string): number {
    const waitMs = this.throttle.retryAfterMs(client);
    if (waitMs <= 0) return 0;
    this.warn(client);
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Counts a request the access check refused (401 or 403). */
  refused(client: string): void {
    const { failures, since, limitReached } = this.throttle.failed(client);
    this.warn(client);
    if (limitReached) {
      this.telemetry?.consoleAccessRefused({ client: printable(client), failures, windowMs: this.throttle.windowMs, since });
    }
  }

  /** A request passed the access check: the next refusal starts a new burst in the log (the counts stay). */
  allowed(): void {
    this.burst.succeeded();
  }

  private warn(client: string): void {
    const { limit, windowMs } = this.throttle;
    this.burst.warn((refused) => messages.consoleAccessRefused(client, refused, limit, windowMs));
  }
}
