import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { JobsOptions, PostgresPoolConfig, RedisOptions, WorkerOptions } from 'bullmq';
import type { ClusterNode, ClusterOptions } from 'ioredis';
import type { DataSource, DataSourceOptions } from 'typeorm';
import type { SignatureVerifier, WebhookRequestHeaders } from './opensms-webhook-verifier.interface';

/** One secret, or several during a rotation (any one of them verifies). `whsec_<base64>` or a raw string. */
export type WebhookSecrets = string | readonly string[];

/**
 * One Standard Webhooks Ed25519 public key (`whpk_<base64>` of its 32 bytes), or several during a
 * rotation (any one of them verifies a `v1a` signature).
 */
export type WebhookPublicKeys = string | readonly string[];

/**
 * A tenant and its secret(s) and/or public key(s), as a {@link WebhookSecretResolver} may return
 * them. A call is verified when a `v1` signature matches one of `secrets` or a `v1a` signature one
 * of `publicKeys`.
 */
export interface WebhookTenantSecrets {
  /**
   * Who the call is from. Stored on the inbox row (`tenant`), part of the dedupe key (one tenant
   * can never shadow another's events) and given to handlers as `ctx.tenant`.
   */
  tenant: string;
  /** HMAC secret(s), as in `secret`. */
  secrets?: WebhookSecrets;
  /** Ed25519 public key(s) (Standard Webhooks `v1a`), as in `publicKeys`. */
  publicKeys?: WebhookPublicKeys;
}

/**
 * Finds the secret(s) for a request, for multi-tenant set-ups where each tenant has its own
 * OpenSMS account. It sees only headers, and runs after the checks that need no secret (signature
 * headers present, timestamp within tolerance). Return nothing for an unknown tenant (401, with
 * the same text as a wrong signature); throw only when the lookup itself failed (503 with
 * `Retry-After`).
 */
export type WebhookSecretResolver = (headers: WebhookRequestHeaders) => WebhookSecretResolution | Promise<WebhookSecretResolution>;

/** What a {@link WebhookSecretResolver} returns: secret(s), a tenant with its secret(s) and/or public key(s), or nothing. */
export type WebhookSecretResolution = WebhookSecrets | WebhookTenantSecrets | null | undefined;

/** Built-in signature schemes. */
export type SignatureScheme = 'standard-webhooks' | 'stripe';

/** How a process takes part in the pipeline. */
export type OpenSmsWebhookMode = 'all' | 'ingest' | 'worker';

/** Computes the dedupe key of a verified, parsed payload. Deliveries with equal keys are one event. */
export type DedupeKeyFunction = (payload: Readonly<Record<string, unknown>>) => string;

/**
 * How calls are received: the signature check, limits, and what happens when the inbox is slow.
 * Every field has a default.
 */
export interface OpenSmsWebhookIngestOptions {
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
   * Most calls waiting for their inbox insert in this process. Beyond it a call is answered
   * `503` with `Retry-After` at once instead of waiting, so memory stays bounded under overload.
   * @default 1000
   */
  maxPendingCalls?: number;
  /**
   * Most milliseconds this process's event loop may run behind for a new call to be taken. Beyond
   * it (a CPU saturated by the calls already taken, a long garbage collection, a handler that blocks)
   * a call is answered `503` with `Retry-After` before its body is read, parsed or verified, so that
   * every call still gets an answer at once. `0` takes every call.
   * @default 250
   */
  maxEventLoopDelayMs?: number;
  /**
   * Most milliseconds the longest-waiting call of this process may have waited for its inbox insert
   * for a new call to be taken. Beyond it (a database slower than the calls arrive) a call is
   * answered `503` with `Retry-After` before its body is read, so that a taken call is answered
   * within about this long plus one insert. `0` leaves the wait to `maxPendingCalls` and `storeTimeoutMs`.
   * @default 1000
   */
  maxInboxWaitMs?: number;
  /**
   * Longest wait, in milliseconds, for the inbox insert before answering 503.
   * @default 4000
   */
  storeTimeoutMs?: number;
  /**
   * `Retry-After` (seconds) sent with every 503: the inbox database cannot be reached, or this process is over
   * `maxPendingCalls`, `maxEventLoopDelayMs` or `maxInboxWaitMs`.
   * @default 30
   */
  retryAfterSeconds?: number;
}

/** Multi-tenant set-ups, where each tenant has its own OpenSMS account and secret. */
export interface OpenSmsWebhookTenantOptions {
  /** Per-request secret and public key lookup; takes the place of `secret` and `publicKeys`. */
  secretResolver: WebhookSecretResolver;
}

/** Where the jobs are kept. */
export interface OpenSmsWebhookQueueOptions {
  /**
   * `'redis'`, or `'postgres'` (BullMQ's PostgreSQL backend, for deployments without Redis; set `postgres`).
   * @default 'redis'
   */
  backend?: 'redis' | 'postgres';
  /**
   * Redis connection of the `'redis'` backend (ioredis options; `redisOptionsFromUrl()` reads a URL).
   * @default { host: '127.0.0.1', port: 6379 }
   */
  connection?: RedisOptions;
  /**
   * Redis Cluster of the `'redis'` backend, in place of `connection`: some of its nodes (`[{ host, port }]`; the
   * others are found from them) and ioredis's cluster options (`options.redisOptions` for what each node
   * connection takes: `username`, `password`, `tls`). On a cluster every key of the queue must be in one slot,
   * so `prefix` must hold a hash tag, e.g. `'{opensms}'`.
   * @default none: one Redis server, at `connection`
   */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /**
   * PostgreSQL connection of the `'postgres'` backend (BullMQ's pool config; `connectionString` is
   * required). BullMQ creates its tables in `schema` on first use.
   * @default { schema: 'bullmq' }
   */
  postgres?: Omit<PostgresPoolConfig, 'migrate' | 'skipMigrations'> & { connectionString: string };
  /**
   * BullMQ key prefix (Redis) of the queue; with `cluster`, one with a hash tag (`'{opensms}'`).
   * @default 'bull'
   */
  prefix?: string;
}

/**
 * The worker of a `'worker'` or `'all'` process: BullMQ's own settings under their BullMQ names,
 * and this module's batching, shutdown and recovery.
 */
export interface OpenSmsWebhookWorkerOptions extends Partial<
  Pick<WorkerOptions, 'concurrency' | 'lockDuration' | 'stalledInterval' | 'limiter'>
> {
  /**
   * Jobs this process takes from the queue at once (events of one message never run concurrently).
   * Keep it about twice `batchSize`, so that a full batch is ready when one commits.
   * @default 64
   */
  concurrency?: number;
  /**
   * How long a worker's claim on a running event lasts without renewal, in milliseconds (BullMQ
   * `lockDuration`). Renewed at half this period; when a worker dies, another takes its events over
   * once the claim expired and a stall check ran. An event-loop stall longer than this lets a second
   * worker start the event (its completed handlers still never re-run).
   * @default 30000
   */
  lockDuration?: number;
  /**
   * How often, in milliseconds, a worker looks for events whose worker died (BullMQ `stalledInterval`).
   * @default 30000
   */
  stalledInterval?: number;
  /**
   * Most events started per `duration` milliseconds, all processes of the queue together (BullMQ's
   * limiter, shared through the queue), to spare a database or an API your handlers call. Ingest is
   * not limited: calls are answered and stored at once; the backlog drains at this pace.
   * @default undefined (no limit)
   */
  limiter?: WorkerOptions['limiter'];
  /**
   * Largest number of events processed in one transaction (one claim, one commit). Events ready
   * together share a batch; an event ready alone runs at once. `1` gives each event a transaction.
   * @default 32
   */
  batchSize?: number;
  /**
   * On shutdown, how long in-flight events may take to finish (milliseconds) before their jobs are released.
   * @default 10000
   */
  shutdownGraceMs?: number;
  /**
   * How often the reconciler looks for stored, unfinished events that have no job. `0` turns it off.
   * @default 30000
   */
  reconcileIntervalMs?: number;
  /**
   * Age (since last change) after which an unfinished event without a job counts as lost and is queued again.
   * @default 60000
   */
  reconcileAfterMs?: number;
  /**
   * PostgreSQL URL of the relay's `LISTEN` connection, straight to the server of the inbox, for a
   * DataSource that goes through a pooler in transaction mode (PgBouncer `pool_mode = transaction`),
   * which never delivers notifications. The URL says where to connect (host, port, database, user,
   * password); the DataSource's other connection settings (`ssl`, a password not in the URL) still
   * apply. Only the relay of a `'worker'` or `'all'` process listens; ingest's `NOTIFY` works through
   * any pooler. Without it the relay listens on the DataSource's own server, checks at start-up that
   * its `LISTEN` hears a `NOTIFY` sent through the DataSource, and when it does not, stops listening,
   * warns, and finds stored events on its round every second.
   * @default undefined (the DataSource's connection)
   */
  listenUrl?: string;
}

/** BullMQ job options of every event's job. */
export interface OpenSmsWebhookJobOptions extends Partial<Pick<JobsOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>> {
  /**
   * Attempts per event before it becomes `dead`.
   * @default 8
   */
  attempts?: number;
  /**
   * Delay between attempts: BullMQ's `'exponential'` or `'fixed'` back-off, or a delay in milliseconds.
   * @default { type: 'exponential', delay: 1000 }
   */
  backoff?: JobsOptions['backoff'];
  /**
   * Completed jobs kept in Redis (the inbox is the lasting record); BullMQ's `removeOnComplete`.
   * Removing them at once costs the fewest Redis commands; keep some to look at them with a BullMQ tool.
   * @default { count: 0 } (removed as they complete)
   */
  removeOnComplete?: JobsOptions['removeOnComplete'];
  /**
   * Jobs whose event became `dead` kept in Redis; BullMQ's `removeOnFail`.
   * @default { count: 0 }
   */
  removeOnFail?: JobsOptions['removeOnFail'];
}

/** How long finished events stay in the inbox. */
export interface OpenSmsWebhookRetentionOptions {
  /**
   * Processed and ignored events older than this many days are pruned (hourly). `0` keeps them forever.
   * @default 30
   */
  days?: number;
}

/**
 * Options of `OpenSmsWebhookModule.forRoot()` / `forRootAsync()` (the `useFactory` result), grouped
 * by what they configure. Every option but a secret has a default.
 */
export interface OpenSmsWebhookModuleOptions {
  /**
   * Signing secret(s) from OpenSMS (Settings → Webhooks). Give several during a rotation.
   * `secret`, `publicKeys` (or both) or `tenants.secretResolver` is required, except in
   * `mode: 'worker'` (which receives nothing).
   */
  secret?: WebhookSecrets;
  /**
   * Ed25519 public key(s) of the sender, `whpk_<base64>`, verifying Standard Webhooks `v1a`
   * signatures; several during a rotation. With `secret` too, a call is verified when either a `v1`
   * or a `v1a` signature matches. Only with the `'standard-webhooks'` scheme.
   * @default none
   */
  publicKeys?: WebhookPublicKeys;
  /** Multi-tenant secret lookup. */
  tenants?: OpenSmsWebhookTenantOptions;
  /** Receiving calls: signature scheme, limits, dedupe key, overload. */
  ingest?: OpenSmsWebhookIngestOptions;
  /** Where the jobs are kept: Redis (default) or PostgreSQL. */
  queue?: OpenSmsWebhookQueueOptions;
  /** The worker: BullMQ's worker settings, batching, shutdown, recovery. */
  worker?: OpenSmsWebhookWorkerOptions;
  /** BullMQ job options: attempts, back-off, finished jobs kept. */
  job?: OpenSmsWebhookJobOptions;
  /** How long finished events stay in the inbox. */
  retention?: OpenSmsWebhookRetentionOptions;
  /**
   * OpenTelemetry spans of each call (`opensms.webhook.receive`), each attempt at an event
   * (`opensms.event.dispatch`) and each handler (`opensms.handler <name>`), through
   * `@opentelemetry/api` (an optional peer; the host registers the SDK), with the call's trace
   * context stored on its inbox row so that its processing continues the trace. `false` is short
   * for `{ enabled: false }`, `true` for the defaults.
   */
  tracing?: boolean | OpenSmsWebhookTracingOptions;
}

/** A W3C trace header that the caller sets unsigned and that is kept only when the host asks for it. */
export type PropagatedTraceHeader = 'tracestate' | 'baggage';

/** Traces of calls, attempts and handlers, and what of a call's trace context is kept for its processing. */
export interface OpenSmsWebhookTracingOptions {
  /**
   * Records spans (when `@opentelemetry/api` is installed; without it nothing is traced).
   * @default true
   */
  enabled?: boolean;
  /**
   * Headers of a verified call kept on its inbox row next to its `traceparent`, so that its
   * handlers run with them in their context: `'tracestate'` (vendors' trace data) and `'baggage'`
   * (`propagation.getBaggage(context.active())` in a handler). Neither is signed: keep one only when
   * your handlers trust what the sender may put there.
   * @default [] (only the `traceparent`)
   */
  propagate?: readonly PropagatedTraceHeader[];
  /**
   * Largest kept `tracestate` or `baggage` value, in bytes of its UTF-8 form; a longer one is left
   * out (never cut) and the call is accepted as usual.
   * @default 512
   */
  maxPropagatedBytes?: number;
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
   * inbox entities join it (`autoLoadEntities`, or `OPENSMS_WEBHOOK_ENTITIES` in its `entities`), and its migrations run there.
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

/** Options after defaults were merged and checked: every group complete. */
export interface ResolvedOpenSmsWebhookOptions extends OpenSmsWebhookModuleExtras {
  secretResolver: WebhookSecretResolver;
  /** The scheme of the secrets. */
  verifier: SignatureVerifier;
  /** Standard Webhooks `v1a`, the scheme of public keys; only with the `'standard-webhooks'` scheme. */
  publicKeyVerifier?: SignatureVerifier;
  /** `publicKeys`, when given (never with `tenants`). */
  publicKeys?: readonly string[];
  /** The schemes that may verify a call, known before its keys: `verifier` and/or `publicKeyVerifier`. */
  schemes: readonly SignatureVerifier[];
  ingest: Required<Omit<OpenSmsWebhookIngestOptions, 'signatureScheme'>>;
  queue: Required<Omit<OpenSmsWebhookQueueOptions, 'postgres' | 'cluster'>> & Pick<OpenSmsWebhookQueueOptions, 'postgres' | 'cluster'>;
  worker: Required<Omit<OpenSmsWebhookWorkerOptions, 'limiter' | 'listenUrl'>> & Pick<OpenSmsWebhookWorkerOptions, 'limiter' | 'listenUrl'>;
  job: Required<OpenSmsWebhookJobOptions>;
  retention: Required<OpenSmsWebhookRetentionOptions>;
  tracing: Required<OpenSmsWebhookTracingOptions>;
}
