import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { getDataSourceName, getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SmsEventExplorer } from './dispatch/sms-event.explorer';
import { SmsEventHandlerRegistry } from './dispatch/sms-event-handler.registry';
import { SmsEventMetadataAccessor } from './dispatch/sms-event-metadata.accessor';
import { SmsEventProcessor } from './dispatch/sms-event.processor';
import { SmsEventDispatcher } from './dispatch/sms-event.dispatcher';
import { InboxEntitiesMissingError } from './errors';
import { SmsEventLifecycle } from './inbox/sms-event.lifecycle';
import { SmsEventOutbox } from './inbox/sms-event.outbox';
import { SmsEventQueries } from './inbox/sms-event.queries';
import { SmsEventRetention } from './inbox/sms-event.retention';
import { OPENSMS_WEBHOOK_ENTITIES, SmsEventTables } from './inbox/sms-event.tables';
import { SmsEventWriter } from './inbox/sms-event.writer';
import { InboxUnavailableFilter } from './ingest/inbox-unavailable.filter';
import { IngestAdmission } from './ingest/ingest-admission';
import { createOpenSmsWebhookController } from './ingest/opensms-webhook.controller';
import { SignatureGuard } from './ingest/signature.guard';
import { SmsEventIngestService } from './ingest/sms-event-ingest.service';
import { WebhookBodyLimiter } from './ingest/webhook-body.limiter';
import { WebhookVerificationService } from './ingest/webhook-verification.service';
import { OPENSMS_DATA_SOURCE, OPENSMS_RESOLVED_OPTIONS } from './opensms-webhook.constants';
import type { OpenSmsWebhookModuleExtras, OpenSmsWebhookModuleOptions } from './opensms-webhook-options.interface';
import { DEFAULT_MODULE_EXTRAS, resolveOpenSmsWebhookOptions } from './opensms-webhook.options';
import { OpenSmsWebhookCore } from './opensms-webhook.core';
import { OpenSmsWebhookService } from './opensms-webhook.service';
import { SmsEventRelayNotifier } from './queue/sms-event-relay.notifier';
import { SmsEventProducer } from './queue/sms-event.producer';
import { SmsEventReconciler } from './queue/sms-event.reconciler';
import { SmsEventRelay } from './queue/sms-event.relay';
import { SmsWebhookTelemetry } from './telemetry/sms-webhook.telemetry';
import { SmsWebhookTracing } from './tracing/sms-webhook.tracing';

export const {
  ConfigurableModuleClass: ConfigurableOpenSmsWebhookModule,
  MODULE_OPTIONS_TOKEN: OPENSMS_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OpenSmsWebhookModuleOptions>({ moduleName: 'OpenSmsWebhook' })
  .setClassMethodName('forRoot')
  .setExtras<OpenSmsWebhookModuleExtras>(DEFAULT_MODULE_EXTRAS, assembleModule)
  .build();

/**
 * Completes the generated definition: the resolved options are added, and the parts each mode
 * needs. Only worker processes create BullMQ clients (the relay's `Queue` and the `Worker`);
 * an ingest-only process never connects to the queue.
 */
function assembleModule(definition: DynamicModule, extras: OpenSmsWebhookModuleExtras): DynamicModule {
  const resolvedOptions: Provider = {
    provide: OPENSMS_RESOLVED_OPTIONS,
    useFactory: (options: OpenSmsWebhookModuleOptions) => resolveOpenSmsWebhookOptions(options, extras),
    inject: [OPENSMS_MODULE_OPTIONS],
  };
  const ingests = extras.mode !== 'worker';
  const works = extras.mode !== 'ingest';

  return {
    ...definition,
    global: extras.isGlobal,
    imports: [...(definition.imports ?? []), DiscoveryModule, TypeOrmModule.forFeature(OPENSMS_WEBHOOK_ENTITIES, extras.dataSource)],
    controllers: ingests ? [createOpenSmsWebhookController(extras.path)] : [],
    providers: [
      ...(definition.providers ?? []),
      resolvedOptions,
      {
        provide: OPENSMS_DATA_SOURCE,
        useFactory: (dataSource: DataSource) => withInboxEntities(dataSource, extras.dataSource),
        inject: [getDataSourceToken(extras.dataSource)],
      },
      SmsEventTables,
      SmsEventQueries,
      SmsEventLifecycle,
      SmsEventOutbox,
      SmsEventRelayNotifier,
      SmsWebhookTelemetry,
      SmsWebhookTracing,
      OpenSmsWebhookService,
      OpenSmsWebhookCore,
      ...(ingests
        ? [
            SmsEventWriter,
            SmsEventIngestService,
            WebhookVerificationService,
            SignatureGuard,
            InboxUnavailableFilter,
            IngestAdmission,
            {
              provide: WebhookBodyLimiter,
              useFactory: WebhookBodyLimiter.install,
              inject: [HttpAdapterHost, OPENSMS_RESOLVED_OPTIONS, SmsWebhookTelemetry, IngestAdmission],
            },
          ]
        : []),
      ...(works
        ? [
            SmsEventMetadataAccessor,
            SmsEventHandlerRegistry,
            SmsEventExplorer,
            SmsEventDispatcher,
            SmsEventProducer,
            SmsEventRelay,
            SmsEventReconciler,
            SmsEventRetention,
            SmsEventProcessor,
          ]
        : []),
    ],
    // NOTE: the integrations reach the rest through OpenSmsWebhookCore.in(), not through exports.
    exports: [OpenSmsWebhookService],
  };
}

/**
 * The DataSource of the inbox, once it is known to hold the library's entities; else the error
 * that names the fix, instead of TypeORM's "No metadata" at the first use of an entity.
 */
function withInboxEntities(dataSource: DataSource, given: OpenSmsWebhookModuleExtras['dataSource']): DataSource {
  // NOTE: an uninitialized DataSource (manualInitialization) has no metadata yet, whatever its entities.
  const missing = dataSource.isInitialized ? OPENSMS_WEBHOOK_ENTITIES.filter((entity) => !dataSource.hasMetadata(entity)) : [];
  if (missing.length > 0) {
    const name = typeof given === 'string' ? given : getDataSourceName(given as { name?: string });
    throw new InboxEntitiesMissingError(
      name,
      missing.map((entity) => entity.name),
    );
  }
  return dataSource;
}
