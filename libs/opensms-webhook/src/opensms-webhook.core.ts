import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { SmsEventHandlerRegistry } from './dispatch/sms-event-handler.registry';
import { WebhookModuleMissingError } from './errors/webhook-module-missing.error';
import { SmsEventQueries } from './inbox/sms-event.queries';
import { OPENSMS_RESOLVED_OPTIONS } from './opensms-webhook.constants';
import type { ResolvedOpenSmsWebhookOptions } from './opensms-webhook-options.interface';
import { OpenSmsWebhookService } from './opensms-webhook.service';
import { SmsEventProducer } from './queue/sms-event.producer';
import { SmsWebhookTelemetry } from './telemetry/sms-webhook.telemetry';

/**
 * What the package's integrations (health, metrics, alerts, console) use of the application's
 * `OpenSmsWebhookModule`, and the one way they reach it: {@link OpenSmsWebhookCore.in}, from any
 * module of the application, so the module exports nothing but its service.
 */
@Injectable()
export class OpenSmsWebhookCore {
  constructor(
    readonly service: OpenSmsWebhookService,
    readonly queries: SmsEventQueries,
    readonly telemetry: SmsWebhookTelemetry,
    @Inject(OPENSMS_RESOLVED_OPTIONS) readonly options: ResolvedOpenSmsWebhookOptions,
    /** The queue client of a process that runs the worker; `undefined` in an ingest-only one. */
    @Optional() readonly producer?: SmsEventProducer,
    @Optional() private readonly registry?: SmsEventHandlerRegistry,
  ) {}

  /**
   * The names (`Class.method`) of the application's `@OnSmsEvent()` handlers, in a process that
   * runs the worker; `null` in an ingest-only one, which does not bind them.
   */
  handlerNames(): string[] | null {
    return this.registry?.names() ?? null;
  }

  /**
   * The core of the application `moduleRef` belongs to. Call it once every module is created
   * (`onModuleInit`); throws {@link WebhookModuleMissingError} naming `integration` when the
   * application registers no `OpenSmsWebhookModule`.
   */
  static in(moduleRef: ModuleRef, integration: string): OpenSmsWebhookCore {
    try {
      return moduleRef.get(OpenSmsWebhookCore, { strict: false });
    } catch {
      throw new WebhookModuleMissingError(integration);
    }
  }
}
