import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { RedisOptions } from 'bullmq';
import type { DataSource, DataSourceOptions } from 'typeorm';
import type { SignatureVerifier } from './ingest/verifiers/signature-verifier.interface';
import type { WebhookRequestHeaders } from './ingest/webhook-request';

/** One secret, or several during a rotation (any one of them verifies). `whsec_<base64>` or a raw string. */
export type WebhookSecrets = string | readonly string[];

/** A tenant and its secret(s), as a {@link WebhookSecretResolver} may return them. */
export interface WebhookTenantSecrets {
  /**
   * Who the call is from. Stored on the inbox row (`tenant`), part of the dedupe key (one tenant
   * can never shadow another's events) and given to handlers as `ctx.tenant`.
   */
  tenant: string;
  secrets: WebhookSecrets;
}

/**
 * Finds the secret(s) for a request, for multi-tenant set-ups where each tenant has its own
 * OpenSMS account. It sees only headers, and runs after the checks that need no secret (signature
 * headers present, timestamp within tolerance). Return nothing for an unknown tenant (401, with
 * the same text as a wrong signature); throw only when the lookup itself failed (503 with
 * `Retry-After`).
 */
export type WebhookSecretResolver = (headers: WebhookRequestHeaders) => WebhookSecretResolution | Promise<WebhookSecretResolution>;

/** What a {@link WebhookSecretResolver} returns: secret(s), a tenant with its secret(s), or nothing. */
export type WebhookSecretResolution = WebhookSecrets | WebhookTenantSecrets | null | undefined;

/** Built-in signature schemes. */
export type SignatureScheme = 'standard-webhooks' | 'stripe';

/** How a process takes part in the pipeline. */
export type OpenSmsWebhookMode = 'all' | 'ingest' | 'worker';

/** Computes the dedupe key of a verified, parsed payload. Deliveries with equal keys are one event. */
export type DedupeKeyFunction = (payload: Readonly<Record<string, unknown>>) => string;

/** Retry back-off between attempts of a failing event. */
export interface OpenSmsBackoffOptions {
  /** @default 'exponential' */
  type: 'exponential' | 'fixed';
  /** Base delay in milliseconds. @default 1000 */
  delay: number;
}

/**
 * Options of `OpenSmsWebhookModule.forRoot()` / `forRootAsync()` (the `useFactory` result).
 * Every option but a secret has a default.
 */
export interface OpenSmsWebhookModuleOptions {
  /**
   * Signing secret(s) from OpenSMS (Settings → Webhooks). Give several during a rotation.
   * Either `secret` or `secretResolver` is required, except in `mode: 'worker'` (which receives nothing).
   */
  secret?: WebhookSecrets;
  /** Per-request secret lookup (multi-tenant). Takes precedence over `secret`. */
  secretResolver?: WebhookSecretResolver;
  /**
   * Signature scheme: `'standard-webhooks'` (`webhook-id`/`webhook-timestamp`/`webhook-signature`),
   * `'stripe'` (`t=<unix>,v1=<hex>` in one header), or your own {@link SignatureVerifier}.
   * @default 'standard-webhooks'
   */
  signatureScheme?: SignatureScheme | SignatureVerifier;
  /**
   * Header carrying the signature for the `'stripe'` scheme.
   * @default 'opensms-signature'
   */
  signatureHeader?: string;
  /**
   * Largest accepted distance, in seconds, between the signed timestamp and now, in both directions.
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * Largest accepted body in bytes; larger requests get 413 before any signature work.
   * @default 65536
   */
  bodyLimitBytes?: number;
  /**
   * Dedupe key of a payload.
   * @default `(event, message_id, timestamp)` of the payload
   */
  dedupeKey?: DedupeKeyFunction;
  /**
   * Redis connection (ioredis options) for the queue.
   * @default { host: '127.0.0.1', port: 6379 }
   */
  redis?: RedisOptions;
  /**
   * Where BullMQ keeps the jobs: `'redis'`, or `'postgres'` (BullMQ's PostgreSQL backend, for
   * deployments without Redis; set `postgresQueue`).
   * @default 'redis'
   */
  queueBackend?: 'redis' | 'postgres';
  /**
   * PostgreSQL connection of the `'postgres'` queue backend: `{ connectionString, schema }`.
   * BullMQ creates its tables in `schema` on first use.
   * @default { connectionString: undefined, schema: 'bullmq' } (a connection string is required)
   */
  postgresQueue?: { connectionString: string; schema?: string; max?: number };
  /**
   * BullMQ key prefix in Redis.
   * @default 'bull'
   */
  queuePrefix?: string;
  /**
   * Attempts per event before it becomes `dead`.
   * @default 8
   */
  attempts?: number;
  /** @default { type: 'exponential', delay: 1000 } */
  backoff?: OpenSmsBackoffOptions;
  /**
   * Jobs this process takes from the queue at once (events of one message never run concurrently).
   * The events of these jobs are processed in batches of up to `dispatchBatchSize`; keep it about
   * twice `dispatchBatchSize` so that a full batch is ready when one commits.
   * @default 64
   */
  concurrency?: number;
  /**
   * Most events the workers start per second, all processes of the queue together (BullMQ's
   * limiter, shared through the queue), to spare a database or an API your handlers call. Ingest is
   * not limited: calls are still answered at once and stored; the backlog drains at this pace.
   * @default undefined (no limit)
   */
  maxEventsPerSecond?: number;
  /**
   * Largest number of events processed in one transaction (one claim, one commit). Events that
   * are ready together share a batch; an event that is ready alone is processed at once. Up to
   * `concurrency / dispatchBatchSize` batches (rounded up) run at once, each on one connection;
   * `1` gives every event a transaction of its own, up to `concurrency` side by side.
   * @default 32
   */
  dispatchBatchSize?: number;
  /**
   * Once a batch has run this long (milliseconds), it starts no further event and commits; the
   * events it did not start go to the next batch. Bounds how long a slow handler delays the
   * events batched with it, and how long a batch holds its message locks.
   * @default 1000
   */
  dispatchBatchMaxMs?: number;
  /**
   * Completed / failed BullMQ jobs kept in Redis (the inbox is the lasting record). `0` removes a
   * job as it ends, the fewest Redis commands per event; keep some to look at them with a BullMQ tool.
   * @default 0
   */
  keepFinishedJobs?: number;
  /**
   * Longest wait, in milliseconds, for the queue when the relay moves a batch of stored events into
   * it. The events stay stored and unqueued when it does not answer; the relay tries again.
   * @default 1000
   */
  enqueueTimeoutMs?: number;
  /**
   * Most stored events the relay moves into the queue in one batch (one `addBulk`).
   * @default 200
   */
  relayBatchSize?: number;
  /**
   * How often the relay looks for stored events not yet queued even without a notification
   * (a missed `NOTIFY`, a queue that was unreachable). Notified events are queued at once.
   * @default 1000
   */
  relayIntervalMs?: number;
  /**
   * Most calls waiting for their inbox insert in this process. Beyond it a call is answered
   * `503` with `Retry-After` at once instead of waiting, so memory stays bounded under overload.
   * @default 1000
   */
  ingestQueueLimit?: number;
  /**
   * Longest wait, in milliseconds, for the inbox insert before answering 503.
   * @default 4000
   */
  storeTimeoutMs?: number;
  /**
   * `Retry-After` (seconds) sent with a 503 when the inbox database cannot be reached.
   * @default 30
   */
  retryAfterSeconds?: number;
  /**
   * How often the reconciler looks for stored, unfinished events that have no job. `0` turns it off.
   * @default 30000
   */
  reconcileIntervalMs?: number;
  /**
   * Age (since last change) after which an unfinished event counts as lost if it has no job.
   * @default 60000
   */
  reconcileAfterMs?: number;
  /**
   * Processed and ignored rows older than this many days are pruned. `0` keeps them forever.
   * @default 30
   */
  retentionDays?: number;
  /**
   * How often retention runs.
   * @default 3600000
   */
  retentionIntervalMs?: number;
  /**
   * How long a worker's claim on a running event lasts without renewal (BullMQ `lockDuration`). The
   * worker renews it at half this period; when a worker dies, its events are taken over by another
   * worker once the claim has expired and a stall check has run. Shorter means faster take-over but
   * more Redis traffic, and an event-loop stall longer than this lets a second worker start the
   * event (its completed handlers still never re-run).
   * @default 30000
   */
  lockDurationMs?: number;
  /**
   * How often a worker looks for events whose worker died (BullMQ `stalledInterval`).
   * @default 30000
   */
  stalledIntervalMs?: number;
  /**
   * On shutdown, how long in-flight events may take to finish before their jobs are released.
   * @default 10000
   */
  shutdownGraceMs?: number;
  /**
   * OpenTelemetry spans of each call (`opensms.webhook.receive`), each attempt at an event
   * (`opensms.event.dispatch`) and each handler (`opensms.handler <name>`), through
   * `@opentelemetry/api` (an optional peer; the host registers the SDK), with the call's trace
   * context stored on its inbox row so that its processing continues the trace. `false` records none.
   * @default true (when `@opentelemetry/api` is installed; without it nothing is traced)
   */
  tracing?: boolean;
}

/**
 * Options that shape the module itself, so they are given next to `useFactory` in `forRootAsync()`
 * rather than returned by it.
 */
export interface OpenSmsWebhookModuleExtras {
  /**
   * Route of the webhook endpoint (`POST`).
   * @default 'webhooks/sms'
   */
  path: string;
  /**
   * BullMQ queue name.
   * @default 'opensms-webhooks'
   */
  queueName: string;
  /**
   * `'all'` ingests and works; `'ingest'` only receives (no worker); `'worker'` only processes (no route).
   * @default 'all'
   */
  mode: OpenSmsWebhookMode;
  /**
   * Makes `OpenSmsWebhookService` available everywhere without importing the module.
   * @default false
   */
  isGlobal: boolean;
  /**
   * The host's TypeORM DataSource that holds the inbox, given as to `@InjectDataSource()`: the `name`
   * of a `TypeOrmModule.forRoot({ name })` registration, or that DataSource or its options. The
   * inbox entities join it (`autoLoadEntities`, or list them), and its migrations run there.
   * @default 'default' (the DataSource registered without a name)
   */
  dataSource: string | DataSource | DataSourceOptions;
}

/**
 * What `OpenSmsWebhookModule.forRootAsync()` takes: a `useFactory` (or `useClass` / `useExisting`)
 * that yields {@link OpenSmsWebhookModuleOptions}, and next to it the options that shape the module.
 */
export interface OpenSmsWebhookModuleAsyncOptions
  extends ConfigurableModuleAsyncOptions<OpenSmsWebhookModuleOptions>, Partial<OpenSmsWebhookModuleExtras> {}

/** Options after defaults were merged and checked. */
export interface ResolvedOpenSmsWebhookOptions
  extends
    Required<
      Omit<
        OpenSmsWebhookModuleOptions,
        'secret' | 'secretResolver' | 'signatureScheme' | 'dedupeKey' | 'postgresQueue' | 'maxEventsPerSecond'
      >
    >,
    OpenSmsWebhookModuleExtras {
  maxEventsPerSecond?: number;
  secretResolver: WebhookSecretResolver;
  verifier: SignatureVerifier;
  dedupeKey: DedupeKeyFunction;
  postgresQueue?: { connectionString: string; schema: string; max?: number };
}
