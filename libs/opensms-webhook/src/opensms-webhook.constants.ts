/** Metadata key under which `@OnSmsEvent()` stores its {@link OnSmsEventMetadata} list. */
export const ON_SMS_EVENT_METADATA = 'opensms:on_sms_event';

/** Injection token of the fully resolved (defaults merged, validated) module options. */
export const OPENSMS_RESOLVED_OPTIONS = Symbol('OPENSMS_RESOLVED_OPTIONS');

/** Injection token of the host's TypeORM DataSource that holds the inbox (the `dataSource` option). */
export const OPENSMS_DATA_SOURCE = Symbol('OPENSMS_DATA_SOURCE');

/** BullMQ job name of an inbox event to dispatch. */
export const DISPATCH_JOB_NAME = 'dispatch';

/** Headers of the Standard Webhooks scheme (standardwebhooks.com). */
export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** Request headers kept with every inbox row (never the signature itself). */
export const STORED_HEADERS = [
  STANDARD_WEBHOOK_HEADERS.id,
  STANDARD_WEBHOOK_HEADERS.timestamp,
  'content-type',
  'user-agent',
  'x-forwarded-for',
] as const;

/**
 * On shutdown, the longest wait for each connection or piece of work of the module to end by itself
 * (after `worker.shutdownGraceMs` for running events); past it, its connection is cut. They close side
 * by side, so that SIGTERM ends a process within `worker.shutdownGraceMs` + 5 s whatever its servers do.
 */
export const SHUTDOWN_CLOSE_TIMEOUT_MS = 1000;
