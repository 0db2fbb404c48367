import { InvalidModuleOptionsError } from './errors/invalid-module-options.error';
import { defaultDedupeKey } from './ingest/dedupe-key';
import { StandardWebhooksVerifier } from './ingest/verifiers/standard-webhooks.verifier';
import { StripeStyleVerifier } from './ingest/verifiers/stripe-style.verifier';
import type { SignatureVerifier } from './ingest/verifiers/signature-verifier.interface';
import { decodeWebhookSecrets } from './ingest/webhook-secret';
import type {
  OpenSmsWebhookModuleExtras,
  OpenSmsWebhookModuleOptions,
  ResolvedOpenSmsWebhookOptions,
} from './opensms-webhook-options.interface';

/** Defaults of the options that shape the module. */
export const DEFAULT_MODULE_EXTRAS: OpenSmsWebhookModuleExtras = {
  path: 'webhooks/sms',
  queueName: 'opensms-webhooks',
  mode: 'all',
  isGlobal: false,
  dataSource: 'default',
};

const DEFAULTS = {
  signatureHeader: 'opensms-signature',
  toleranceSeconds: 300,
  bodyLimitBytes: 64 * 1024,
  redis: { host: '127.0.0.1', port: 6379 },
  queueBackend: 'redis',
  queuePrefix: 'bull',
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  concurrency: 64,
  dispatchBatchSize: 32,
  dispatchBatchMaxMs: 1000,
  keepFinishedJobs: 0,
  enqueueTimeoutMs: 1000,
  relayBatchSize: 200,
  relayIntervalMs: 1000,
  ingestQueueLimit: 1000,
  storeTimeoutMs: 4000,
  retryAfterSeconds: 30,
  reconcileIntervalMs: 30_000,
  reconcileAfterMs: 60_000,
  retentionDays: 30,
  retentionIntervalMs: 3_600_000,
  shutdownGraceMs: 10_000,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  tracing: true,
} satisfies Partial<ResolvedOpenSmsWebhookOptions>;

const NON_NEGATIVE: (keyof typeof DEFAULTS)[] = [
  'toleranceSeconds',
  'reconcileIntervalMs',
  'reconcileAfterMs',
  'retentionDays',
  'retentionIntervalMs',
  'shutdownGraceMs',
  'keepFinishedJobs',
  'retryAfterSeconds',
  'dispatchBatchMaxMs',
];
const POSITIVE_INTEGER: (keyof typeof DEFAULTS)[] = [
  'bodyLimitBytes',
  'attempts',
  'concurrency',
  'dispatchBatchSize',
  'enqueueTimeoutMs',
  'storeTimeoutMs',
  'relayBatchSize',
  'relayIntervalMs',
  'ingestQueueLimit',
  'lockDurationMs',
  'stalledIntervalMs',
];

/**
 * Merges defaults into the user's options once and checks them, so that a mistake stops the
 * application at start-up with a message that says what to change.
 */
export function resolveOpenSmsWebhookOptions(
  options: OpenSmsWebhookModuleOptions,
  extras: Partial<OpenSmsWebhookModuleExtras> = {},
): ResolvedOpenSmsWebhookOptions {
  const problems: string[] = [];
  const merged = { ...DEFAULTS, ...DEFAULT_MODULE_EXTRAS, ...withoutUndefined(options), ...withoutUndefined(extras) };

  for (const key of NON_NEGATIVE) {
    if (!isNumberAtLeast(merged[key], 0)) problems.push(`${key} must be a number ≥ 0 (got ${String(merged[key])})`);
  }
  for (const key of POSITIVE_INTEGER) {
    if (!Number.isInteger(merged[key]) || (merged[key] as number) < 1) {
      problems.push(`${key} must be a whole number ≥ 1 (got ${String(merged[key])})`);
    }
  }
  if (merged.maxEventsPerSecond !== undefined && !(Number.isInteger(merged.maxEventsPerSecond) && merged.maxEventsPerSecond >= 1)) {
    problems.push(`maxEventsPerSecond must be a whole number ≥ 1, or left out for no limit (got ${String(merged.maxEventsPerSecond)})`);
  }
  if (!isNumberAtLeast(merged.backoff?.delay, 0) || !['exponential', 'fixed'].includes(merged.backoff?.type)) {
    problems.push(`backoff must be { type: 'exponential' | 'fixed', delay: number ≥ 0 }`);
  }
  if (!['all', 'ingest', 'worker'].includes(merged.mode)) {
    problems.push(`mode must be 'all', 'ingest' or 'worker' (got ${String(merged.mode)})`);
  }
  if (!merged.queueName || merged.queueName.includes(':')) problems.push('queueName must be non-empty and without ":"');
  if (!['redis', 'postgres'].includes(merged.queueBackend)) {
    problems.push(`queueBackend must be 'redis' or 'postgres' (got ${String(merged.queueBackend)})`);
  }
  if (merged.queueBackend === 'postgres' && !options.postgresQueue?.connectionString) {
    problems.push("queueBackend 'postgres' needs postgresQueue: { connectionString: 'postgres://…' }");
  }
  if (typeof merged.tracing !== 'boolean') problems.push(`tracing must be true or false (got ${String(merged.tracing)})`);
  if (!merged.path) problems.push('path must be a non-empty route, e.g. "webhooks/sms"');

  if (!merged.dataSource || !['string', 'object'].includes(typeof merged.dataSource)) {
    problems.push('dataSource must be the name of a TypeORM DataSource (or the DataSource, or its options)');
  }

  const verifier = createVerifier(options, merged.signatureHeader, problems);
  const needsSecret = merged.mode !== 'worker' || options.secret !== undefined;
  const secretResolver = options.secretResolver ?? (needsSecret ? staticSecrets(options, verifier, problems) : noSecrets);
  if (problems.length > 0) throw new InvalidModuleOptionsError(problems);

  return {
    ...merged,
    signatureHeader: merged.signatureHeader.toLowerCase(),
    secretResolver,
    verifier,
    dedupeKey: options.dedupeKey ?? defaultDedupeKey,
    postgresQueue: options.postgresQueue && { schema: 'bullmq', ...options.postgresQueue },
  };
}

/** A worker-only module never verifies a call, so it needs no secret. */
const noSecrets = () => [];

function staticSecrets(options: OpenSmsWebhookModuleOptions, verifier: SignatureVerifier, problems: string[]) {
  const { secret } = options;
  if (secret === undefined || secret === null || secret === '') {
    problems.push('secret is required (the signing secret from OpenSMS), or give a secretResolver');
    return () => [];
  }
  try {
    decodeWebhookSecrets(secret, verifier.readSecret?.bind(verifier));
  } catch (error) {
    problems.push((error as Error).message);
  }
  return () => secret;
}

function createVerifier(options: OpenSmsWebhookModuleOptions, signatureHeader: string, problems: string[]): SignatureVerifier {
  const scheme = options.signatureScheme ?? 'standard-webhooks';
  if (scheme === 'standard-webhooks') return new StandardWebhooksVerifier();
  if (scheme === 'stripe') return new StripeStyleVerifier(signatureHeader.toLowerCase());
  if (typeof scheme === 'object' && typeof scheme.verify === 'function') return scheme;
  problems.push(`signatureScheme must be 'standard-webhooks', 'stripe' or a SignatureVerifier (got ${String(scheme)})`);
  return new StandardWebhooksVerifier();
}

function isNumberAtLeast(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
