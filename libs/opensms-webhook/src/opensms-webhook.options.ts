import { InvalidModuleOptionsError } from './errors/invalid-module-options.error';
import { defaultDedupeKey } from './ingest/dedupe-key';
import { StandardWebhooksEd25519Verifier } from './ingest/verifiers/standard-webhooks-ed25519.verifier';
import { StandardWebhooksVerifier } from './ingest/verifiers/standard-webhooks.verifier';
import { decodeWebhookPublicKeys } from './ingest/webhook-ed25519-key';
import { StripeStyleVerifier } from './ingest/verifiers/stripe-style.verifier';
import type { SignatureVerifier } from './opensms-webhook-verifier.interface';
import { decodeWebhookSecrets } from './ingest/webhook-secret';
import type {
  OpenSmsWebhookModuleExtras,
  OpenSmsWebhookModuleOptions,
  ResolvedOpenSmsWebhookOptions,
  OpenSmsWebhookTracingOptions,
  OpenSmsWebhookWorkerOptions,
  PropagatedTraceHeader,
  SignatureScheme,
} from './opensms-webhook-options.interface';

/** Defaults of the options that shape the module. */
export const DEFAULT_MODULE_EXTRAS: OpenSmsWebhookModuleExtras = {
  path: 'webhooks/sms',
  queueName: 'opensms-webhooks',
  mode: 'all',
  isGlobal: false,
  dataSource: 'default',
};

/** Defaults of every option group (secrets and the verifier have none). */
const DEFAULTS = {
  ingest: {
    signatureHeader: 'opensms-signature',
    toleranceSeconds: 300,
    bodyLimitBytes: 64 * 1024,
    dedupeKey: defaultDedupeKey,
    maxPendingCalls: 1000,
    maxEventLoopDelayMs: 250,
    maxInboxWaitMs: 1000,
    storeTimeoutMs: 4000,
    retryAfterSeconds: 30,
  },
  queue: { backend: 'redis', connection: { host: '127.0.0.1', port: 6379 }, prefix: 'bull' },
  worker: {
    concurrency: 64,
    lockDuration: 30_000,
    stalledInterval: 30_000,
    batchSize: 32,
    shutdownGraceMs: 10_000,
    reconcileIntervalMs: 30_000,
    reconcileAfterMs: 60_000,
  },
  job: { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } },
  retention: { days: 30 },
  tracing: { enabled: true, propagate: [] as PropagatedTraceHeader[], maxPropagatedBytes: 512 },
} satisfies Omit<
  ResolvedOpenSmsWebhookOptions,
  keyof OpenSmsWebhookModuleExtras | 'secretResolver' | 'verifier' | 'publicKeyVerifier' | 'publicKeys' | 'schemes'
>;

type OptionGroup = 'ingest' | 'tenants' | 'queue' | 'worker' | 'job' | 'retention' | 'tracing';

/** The fields each group takes. */
const GROUP_FIELDS: Record<OptionGroup, readonly string[]> = {
  ingest: ['signatureScheme', ...Object.keys(DEFAULTS.ingest)],
  tenants: ['secretResolver'],
  queue: ['postgres', 'cluster', ...Object.keys(DEFAULTS.queue)],
  worker: ['limiter', ...Object.keys(DEFAULTS.worker), 'listenUrl'],
  job: Object.keys(DEFAULTS.job),
  retention: Object.keys(DEFAULTS.retention),
  tracing: Object.keys(DEFAULTS.tracing),
};

/** The trace headers `tracing.propagate` may name. */
const PROPAGATED_TRACE_HEADERS: readonly PropagatedTraceHeader[] = ['tracestate', 'baggage'];

/** Numeric fields and the least value each takes; `whole` ones must be integers. */
const NUMBER_RULES: { group: OptionGroup; field: string; min: 0 | 1; whole: boolean }[] = [
  { group: 'ingest', field: 'toleranceSeconds', min: 0, whole: false },
  { group: 'ingest', field: 'bodyLimitBytes', min: 1, whole: true },
  { group: 'ingest', field: 'maxPendingCalls', min: 1, whole: true },
  { group: 'ingest', field: 'maxEventLoopDelayMs', min: 0, whole: false },
  { group: 'ingest', field: 'maxInboxWaitMs', min: 0, whole: false },
  { group: 'ingest', field: 'storeTimeoutMs', min: 1, whole: true },
  { group: 'ingest', field: 'retryAfterSeconds', min: 0, whole: false },
  { group: 'worker', field: 'concurrency', min: 1, whole: true },
  { group: 'worker', field: 'lockDuration', min: 1, whole: true },
  { group: 'worker', field: 'stalledInterval', min: 1, whole: true },
  { group: 'worker', field: 'batchSize', min: 1, whole: true },
  { group: 'worker', field: 'shutdownGraceMs', min: 0, whole: false },
  { group: 'worker', field: 'reconcileIntervalMs', min: 0, whole: false },
  { group: 'worker', field: 'reconcileAfterMs', min: 0, whole: false },
  { group: 'job', field: 'attempts', min: 1, whole: true },
  { group: 'retention', field: 'days', min: 0, whole: false },
  { group: 'tracing', field: 'maxPropagatedBytes', min: 1, whole: true },
];

/**
 * Options of earlier versions, each with what replaces it. They are refused, never read, so that
 * an upgrade cannot silently fall back to a default.
 */
export const REPLACED_OPTIONS: Readonly<Record<string, string>> = {
  secretResolver: 'tenants: { secretResolver }',
  signatureScheme: 'ingest: { signatureScheme }',
  signatureHeader: 'ingest: { signatureHeader }',
  toleranceSeconds: 'ingest: { toleranceSeconds }',
  bodyLimitBytes: 'ingest: { bodyLimitBytes }',
  dedupeKey: 'ingest: { dedupeKey }',
  ingestQueueLimit: 'ingest: { maxPendingCalls }',
  storeTimeoutMs: 'ingest: { storeTimeoutMs }',
  retryAfterSeconds: 'ingest: { retryAfterSeconds }',
  redis: 'queue: { connection }',
  queueBackend: 'queue: { backend }',
  postgresQueue: 'queue: { postgres }',
  queuePrefix: 'queue: { prefix }',
  concurrency: 'worker: { concurrency }',
  lockDurationMs: 'worker: { lockDuration }',
  stalledIntervalMs: 'worker: { stalledInterval }',
  maxEventsPerSecond: 'worker: { limiter: { max, duration: 1000 } }',
  dispatchBatchSize: 'worker: { batchSize }',
  shutdownGraceMs: 'worker: { shutdownGraceMs }',
  reconcileIntervalMs: 'worker: { reconcileIntervalMs }',
  reconcileAfterMs: 'worker: { reconcileAfterMs }',
  attempts: 'job: { attempts }',
  backoff: 'job: { backoff }',
  keepFinishedJobs: 'job: { removeOnComplete, removeOnFail }',
  retentionDays: 'retention: { days }',
  retentionIntervalMs: 'nothing: retention runs hourly',
  dispatchBatchMaxMs: 'nothing: a batch starts no event after 1 s',
  enqueueTimeoutMs: 'nothing: the relay waits 1 s for the queue',
  relayBatchSize: 'nothing: the relay queues up to 200 events at once',
  relayIntervalMs: 'nothing: the relay looks every second',
};

const TOP_LEVEL_OPTIONS = ['secret', 'publicKeys', ...Object.keys(GROUP_FIELDS)];

/**
 * Merges defaults into the user's options once and checks them, so that a mistake stops the
 * application at start-up with a message that says what to change.
 */
export function resolveOpenSmsWebhookOptions(
  options: OpenSmsWebhookModuleOptions,
  extras: Partial<OpenSmsWebhookModuleExtras> = {},
): ResolvedOpenSmsWebhookOptions {
  const problems: string[] = [];
  const module = { ...DEFAULT_MODULE_EXTRAS, ...withoutUndefined(extras) };
  checkNames(options, problems);
  const groups = {
    ingest: { ...DEFAULTS.ingest, ...withoutUndefined(options.ingest ?? {}) },
    queue: { ...DEFAULTS.queue, ...withoutUndefined(options.queue ?? {}) },
    worker: { ...DEFAULTS.worker, ...withoutUndefined(options.worker ?? {}) },
    job: { ...DEFAULTS.job, ...withoutUndefined(options.job ?? {}) },
    retention: { ...DEFAULTS.retention, ...withoutUndefined(options.retention ?? {}) },
    tracing: { ...DEFAULTS.tracing, ...tracingGroup(options.tracing) },
  };

  for (const { group, field, min, whole } of NUMBER_RULES) {
    const value = (groups[group as keyof typeof groups] as Record<string, unknown>)[field];
    const valid = typeof value === 'number' && Number.isFinite(value) && value >= min && (!whole || Number.isInteger(value));
    if (!valid) problems.push(`${group}.${field} must be a ${whole ? 'whole number' : 'number'} ≥ ${min} (got ${String(value)})`);
  }
  checkLimiter(groups.worker.limiter, problems);
  checkListenUrl(groups.worker.listenUrl, problems);
  checkBackoff(groups.job.backoff, problems);
  checkTracing(groups.tracing, problems);
  if (!['all', 'ingest', 'worker'].includes(module.mode)) {
    problems.push(`mode must be 'all', 'ingest' or 'worker' (got ${String(module.mode)})`);
  }
  if (!module.queueName || module.queueName.includes(':')) problems.push('queueName must be non-empty and without ":"');
  if (!['redis', 'postgres'].includes(groups.queue.backend)) {
    problems.push(`queue.backend must be 'redis' or 'postgres' (got ${String(groups.queue.backend)})`);
  }
  if (groups.queue.backend === 'postgres' && !groups.queue.postgres?.connectionString) {
    problems.push("queue.backend 'postgres' needs queue: { postgres: { connectionString: 'postgres://…' } }");
  }
  checkCluster(options, { ...groups.queue, queueName: module.queueName }, problems);
  if (!module.path) problems.push('path must be a non-empty route, e.g. "webhooks/sms"');
  if (!module.dataSource || !['string', 'object'].includes(typeof module.dataSource)) {
    problems.push('dataSource must be the name of a TypeORM DataSource (or the DataSource, or its options)');
  }

  const { signatureScheme, ...ingest } = { ...groups.ingest, signatureHeader: String(groups.ingest.signatureHeader).toLowerCase() };
  const verifier = createVerifier(signatureScheme, ingest.signatureHeader, problems);
  const publicKeyVerifier =
    (signatureScheme ?? 'standard-webhooks') === 'standard-webhooks' ? new StandardWebhooksEd25519Verifier() : undefined;
  const publicKeys = staticPublicKeys(options, publicKeyVerifier, problems);
  const needsSecret = module.mode !== 'worker' || options.secret !== undefined || publicKeys !== undefined;
  const secretResolver =
    options.tenants?.secretResolver ?? (needsSecret ? staticSecrets(options, verifier, publicKeys, problems) : noSecrets);
  if (options.tenants && typeof options.tenants.secretResolver !== 'function') {
    problems.push('tenants.secretResolver must be a function (headers) => secret(s), { tenant, secrets, publicKeys } or nothing');
  }
  if (problems.length > 0) throw new InvalidModuleOptionsError(problems);
  const secretsMayBeGiven = options.tenants !== undefined || publicKeys === undefined || hasValue(options.secret);
  const schemes = [
    ...(secretsMayBeGiven ? [verifier] : []),
    ...(publicKeyVerifier && (options.tenants !== undefined || publicKeys !== undefined) ? [publicKeyVerifier] : []),
  ];

  return {
    ...module,
    ...groups,
    ingest,
    queue: { ...groups.queue, postgres: groups.queue.postgres && { schema: 'bullmq', ...groups.queue.postgres } },
    secretResolver,
    verifier,
    publicKeyVerifier,
    publicKeys,
    schemes,
  };
}

/** Refuses options of earlier versions (saying what replaces each) and names no one did not mean. */
function checkNames(options: OpenSmsWebhookModuleOptions, problems: string[]): void {
  for (const name of Object.keys(options)) {
    if (name in REPLACED_OPTIONS) problems.push(`${name} is no longer an option: use ${REPLACED_OPTIONS[name]}`);
    else if (!TOP_LEVEL_OPTIONS.includes(name)) problems.push(`${name} is not an option (options: ${TOP_LEVEL_OPTIONS.join(', ')})`);
  }
  for (const [group, fields] of Object.entries(GROUP_FIELDS)) {
    const given: unknown = options[group as OptionGroup];
    if (given === undefined || (group === 'tracing' && typeof given === 'boolean')) continue;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      const shorthand = group === 'tracing' ? 'true, false or ' : '';
      problems.push(`${group} must be ${shorthand}an object of options (${fields.join(', ')})`);
      continue;
    }
    for (const field of Object.keys(given)) {
      if (!fields.includes(field)) problems.push(`${group}.${field} is not an option (${group} takes ${fields.join(', ')})`);
    }
  }
}

/**
 * A cluster connection takes its nodes' settings in `queue.cluster.options.redisOptions`, and needs every
 * key of the queue in one slot: a hash tag in the prefix (or the queue name), which Redis hashes alone.
 */
function checkCluster(
  options: OpenSmsWebhookModuleOptions,
  queue: ResolvedOpenSmsWebhookOptions['queue'] & { queueName: string },
  problems: string[],
): void {
  const { cluster } = queue;
  if (cluster === undefined) return;
  if (queue.backend !== 'redis')
    problems.push(`queue.cluster is a Redis connection: it needs queue.backend 'redis' (got '${queue.backend}')`);
  if (!Array.isArray(cluster?.nodes) || cluster.nodes.length === 0) {
    problems.push("queue.cluster.nodes must list at least one node of the cluster, e.g. [{ host: 'redis-1', port: 6379 }]");
  }
  if (options.queue?.connection !== undefined) {
    problems.push(
      'queue.connection and queue.cluster are two ways to reach Redis: give one; ' +
        'on a cluster, what each node connection takes (password, tls) goes in queue.cluster.options.redisOptions',
    );
  }
  if (redisHashTag(`${queue.prefix}:${queue.queueName}:`) === undefined) {
    problems.push(
      `queue.prefix '${queue.prefix}' has no Redis Cluster hash tag, so the queue's keys would spread over the cluster's ` +
        "slots and BullMQ's scripts would fail (CROSSSLOT): use queue: { prefix: '{opensms}' } (any name in braces)",
    );
  }
}

/** The part of a Redis key that Redis Cluster hashes when it is not the whole key: a non-empty `{…}`, the first one. */
function redisHashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

function checkLimiter(limiter: OpenSmsWebhookWorkerOptions['limiter'], problems: string[]): void {
  if (limiter === undefined) return;
  const wholeAtLeastOne = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 1;
  if (!wholeAtLeastOne(limiter?.max) || !wholeAtLeastOne(limiter?.duration)) {
    problems.push(`worker.limiter must be { max, duration } in whole numbers ≥ 1 (events per milliseconds), or left out for no limit`);
  }
}

function checkListenUrl(listenUrl: unknown, problems: string[]): void {
  if (listenUrl === undefined) return;
  let protocol: string | undefined;
  try {
    protocol = typeof listenUrl === 'string' ? new URL(listenUrl).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    problems.push(
      'worker.listenUrl must be a PostgreSQL URL, postgres://user:password@host:5432/database, straight to the server (not through a pooler), or left out',
    );
  }
}

/** The `tracing` group as given: `true` / `false` are short for `{ enabled }`. */
function tracingGroup(tracing: OpenSmsWebhookModuleOptions['tracing']): OpenSmsWebhookTracingOptions {
  if (tracing === undefined) return {};
  return typeof tracing === 'boolean' ? { enabled: tracing } : withoutUndefined(tracing);
}

function checkTracing(tracing: Required<OpenSmsWebhookTracingOptions>, problems: string[]): void {
  if (typeof tracing.enabled !== 'boolean') problems.push(`tracing.enabled must be true or false (got ${String(tracing.enabled)})`);
  const propagate: unknown = tracing.propagate;
  if (!Array.isArray(propagate) || propagate.some((header) => !PROPAGATED_TRACE_HEADERS.includes(header))) {
    problems.push(
      `tracing.propagate must be a list of ${PROPAGATED_TRACE_HEADERS.map((header) => `'${header}'`).join(' and ')} (got ${String(propagate)})`,
    );
  }
}

function checkBackoff(backoff: unknown, problems: string[]): void {
  if (typeof backoff === 'number' && Number.isFinite(backoff) && backoff >= 0) return;
  const { type, delay } = (backoff ?? {}) as { type?: unknown; delay?: unknown };
  if (['exponential', 'fixed'].includes(type as string) && (delay === undefined || (typeof delay === 'number' && delay >= 0))) return;
  problems.push(`job.backoff must be { type: 'exponential' | 'fixed', delay: number ≥ 0 }, or a delay in milliseconds`);
}

/** A worker-only module never verifies a call, so it needs no secret. */
const noSecrets = () => [];

function staticSecrets(
  options: OpenSmsWebhookModuleOptions,
  verifier: SignatureVerifier,
  publicKeys: readonly string[] | undefined,
  problems: string[],
) {
  const { secret } = options;
  if (secret === undefined || secret === null || !hasValue(secret)) {
    if (publicKeys === undefined) {
      problems.push('secret is required (the signing secret from OpenSMS), or publicKeys, or give tenants: { secretResolver }');
    }
    return () => [];
  }
  try {
    decodeWebhookSecrets(secret, verifier.readSecret?.bind(verifier));
  } catch (error) {
    problems.push((error as Error).message);
  }
  return () => secret;
}

/** `publicKeys` as a list, once checked; `undefined` when not given. */
function staticPublicKeys(
  options: OpenSmsWebhookModuleOptions,
  publicKeyVerifier: SignatureVerifier | undefined,
  problems: string[],
): readonly string[] | undefined {
  const { publicKeys } = options;
  if (publicKeys === undefined || publicKeys === null) return undefined;
  if (options.tenants !== undefined) {
    problems.push('publicKeys cannot be given with tenants: return them per tenant from tenants.secretResolver as { tenant, publicKeys }');
  }
  if (publicKeyVerifier === undefined) {
    problems.push("publicKeys verify Standard Webhooks v1a signatures: they need ingest.signatureScheme 'standard-webhooks'");
  }
  try {
    decodeWebhookPublicKeys(publicKeys);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return typeof publicKeys === 'string' ? [publicKeys] : [...publicKeys];
}

function createVerifier(
  scheme: SignatureScheme | SignatureVerifier = 'standard-webhooks',
  signatureHeader: string,
  problems: string[],
): SignatureVerifier {
  if (scheme === 'standard-webhooks') return new StandardWebhooksVerifier();
  if (scheme === 'stripe') return new StripeStyleVerifier(signatureHeader);
  if (typeof scheme === 'object' && typeof scheme.verify === 'function') return scheme;
  problems.push(`ingest.signatureScheme must be 'standard-webhooks', 'stripe' or a SignatureVerifier (got ${String(scheme)})`);
  return new StandardWebhooksVerifier();
}

function hasValue(secret: OpenSmsWebhookModuleOptions['secret']): boolean {
  return secret !== undefined && secret !== null && secret !== '';
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
