export { OpenSmsWebhookModule } from './opensms-webhook.module';
export { OpenSmsWebhookService } from './opensms-webhook.service';
export type {
  DedupeKeyFunction,
  OpenSmsWebhookIngestOptions,
  OpenSmsWebhookJobOptions,
  OpenSmsWebhookMode,
  OpenSmsWebhookModuleAsyncOptions,
  OpenSmsWebhookModuleExtras,
  OpenSmsWebhookModuleOptions,
  OpenSmsWebhookQueueOptions,
  OpenSmsWebhookRetentionOptions,
  OpenSmsWebhookTenantOptions,
  OpenSmsWebhookTracingOptions,
  OpenSmsWebhookWorkerOptions,
  PropagatedTraceHeader,
  SignatureScheme,
  WebhookPublicKeys,
  WebhookSecretResolution,
  WebhookSecretResolver,
  WebhookSecrets,
  WebhookTenantSecrets,
} from './opensms-webhook-options.interface';
export { STANDARD_WEBHOOK_HEADERS } from './opensms-webhook.constants';

export { OnSmsEvent, type SmsEventHandler } from './decorators/on-sms-event.decorator';
export {
  SmsDeliveredEvent,
  SmsFailedEvent,
  SmsPendingEvent,
  UnknownSmsEvent,
  type SmsEvent,
  type SmsEventContext,
  type SmsEventMap,
  type SmsEventSelector,
} from './events/sms-events';
export { KNOWN_SMS_EVENTS, type KnownSmsEventName, type SmsEventType } from './events/sms-event-types';

export { SmsEventEntity } from './inbox/sms-event.entity';
export { SmsEventStateEntity, type SmsEventHandlerRuns } from './inbox/sms-event-state.entity';
export { SmsEventOutboxEntity } from './inbox/sms-event-outbox.entity';
export { type SmsEventState, SMS_EVENT_STATES } from './inbox/sms-event-state';
export type { SmsEventFilter, SmsEventRecord } from './inbox/sms-event.queries';
export type {
  SmsEventReprocessHandlerPlan,
  SmsEventReprocessing,
  SmsEventReprocessOutcome,
  SmsEventReprocessPlan,
  SmsEventReprocessRequest,
} from './dispatch/sms-event.reprocessor';
export { OPENSMS_WEBHOOK_MIGRATIONS } from './inbox/migrations';
export { OPENSMS_WEBHOOK_ENTITIES } from './inbox/sms-event.tables';

export { defaultDedupeKey } from './ingest/dedupe-key';
export type { SmsEventReceipt } from './ingest/sms-event-ingest.service';
export type {
  SignatureVerification,
  SignatureVerifier,
  SignedWebhookRequest,
  WebhookRequestHeaders,
} from './opensms-webhook-verifier.interface';
export { StandardWebhooksVerifier } from './ingest/verifiers/standard-webhooks.verifier';
export { StandardWebhooksEd25519Verifier } from './ingest/verifiers/standard-webhooks-ed25519.verifier';
export { StripeStyleVerifier } from './ingest/verifiers/stripe-style.verifier';

export { redisOptionsFromUrl } from './queue/redis-url';
export { printable } from './internal/printable';

export * from './errors';
