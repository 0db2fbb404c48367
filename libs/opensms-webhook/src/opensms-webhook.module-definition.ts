import { BullModule } from '@nestjs/bullmq';
import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SmsEventExplorer } from './dispatch/sms-event.explorer';
import { SmsEventHandlerRegistry } from './dispatch/sms-event-handler.registry';
import { SmsEventMetadataAccessor } from './dispatch/sms-event-metadata.accessor';
import { createSmsEventProcessor } from './dispatch/sms-event.processor';
import { SmsEventDispatcher } from './dispatch/sms-event.dispatcher';
import { SmsEventHandlerRunEntity } from './inbox/sms-event-handler-run.entity';
import { SmsEventEntity } from './inbox/sms-event.entity';
import { SmsEventLifecycle } from './inbox/sms-event.lifecycle';
import { SmsEventQueries } from './inbox/sms-event.queries';
import { SmsEventRetention } from './inbox/sms-event.retention';
import { SmsEventTables } from './inbox/sms-event.tables';
import { SmsEventWriter } from './inbox/sms-event.writer';
import { InboxUnavailableFilter } from './ingest/inbox-unavailable.filter';
import { createOpenSmsWebhookController } from './ingest/opensms-webhook.controller';
import { SignatureGuard } from './ingest/signature.guard';
import { SmsEventIngestService } from './ingest/sms-event-ingest.service';
import { WebhookBodyLimiter } from './ingest/webhook-body.limiter';
import { OPENSMS_RESOLVED_OPTIONS } from './opensms-webhook.constants';
import type {
  OpenSmsWebhookModuleExtras,
  OpenSmsWebhookModuleOptions,
  ResolvedOpenSmsWebhookOptions,
} from './opensms-webhook-options.interface';
import { DEFAULT_MODULE_EXTRAS, resolveOpenSmsWebhookOptions } from './opensms-webhook.options';
import { OpenSmsWebhookService } from './opensms-webhook.service';
import { WorkerQueueConnection } from './queue/queue-connection';
import { SmsEventProducer } from './queue/sms-event.producer';
import { SmsEventReconciler } from './queue/sms-event.reconciler';

export const {
  ConfigurableModuleClass: ConfigurableOpenSmsWebhookModule,
  MODULE_OPTIONS_TOKEN: OPENSMS_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OpenSmsWebhookModuleOptions>({ moduleName: 'OpenSmsWebhook' })
  .setClassMethodName('forRoot')
  .setExtras<OpenSmsWebhookModuleExtras>(DEFAULT_MODULE_EXTRAS, assembleModule)
  .build();

/** Holds the user's options and their resolved form, for this module and the BullMQ queue it registers. */
class OpenSmsWebhookOptionsModule {}

/**
 * Completes the generated definition: options move into a module of their own (so BullMQ's async
 * queue registration can inject them), and the parts each mode needs are added.
 */
function assembleModule(definition: DynamicModule, extras: OpenSmsWebhookModuleExtras): DynamicModule {
  const resolvedOptions: Provider = {
    provide: OPENSMS_RESOLVED_OPTIONS,
    useFactory: (options: OpenSmsWebhookModuleOptions) => resolveOpenSmsWebhookOptions(options, extras),
    inject: [OPENSMS_MODULE_OPTIONS],
  };
  const optionsModule: DynamicModule = {
    module: OpenSmsWebhookOptionsModule,
    imports: definition.imports,
    providers: [...(definition.providers ?? []), resolvedOptions, WorkerQueueConnection],
    exports: [OPENSMS_RESOLVED_OPTIONS, WorkerQueueConnection],
  };
  const ingests = extras.mode !== 'worker';
  const works = extras.mode !== 'ingest';

  return {
    module: definition.module,
    global: extras.isGlobal,
    imports: [
      optionsModule,
      DiscoveryModule,
      TypeOrmModule.forFeature([SmsEventEntity, SmsEventHandlerRunEntity]),
      BullModule.registerQueueAsync({
        name: extras.queueName,
        imports: [optionsModule],
        inject: [OPENSMS_RESOLVED_OPTIONS, WorkerQueueConnection],
        // NOTE: this registration serves the worker; the request path has its own fail-fast queue.
        useFactory: (options: ResolvedOpenSmsWebhookOptions, worker: WorkerQueueConnection) => ({
          connection: worker.connection,
          prefix: options.queuePrefix,
        }),
      }),
    ],
    controllers: ingests ? [createOpenSmsWebhookController(extras.path)] : [],
    providers: [
      SmsEventTables,
      SmsEventQueries,
      SmsEventLifecycle,
      SmsEventProducer,
      OpenSmsWebhookService,
      ...(ingests
        ? [
            SmsEventWriter,
            SmsEventIngestService,
            SignatureGuard,
            InboxUnavailableFilter,
            { provide: WebhookBodyLimiter, useFactory: WebhookBodyLimiter.install, inject: [HttpAdapterHost, OPENSMS_RESOLVED_OPTIONS] },
          ]
        : []),
      ...(works
        ? [
            SmsEventMetadataAccessor,
            SmsEventHandlerRegistry,
            SmsEventExplorer,
            SmsEventDispatcher,
            SmsEventReconciler,
            SmsEventRetention,
            createSmsEventProcessor(extras),
          ]
        : []),
    ],
    exports: [OpenSmsWebhookService, optionsModule],
  };
}
