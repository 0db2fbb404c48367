import { register } from 'prom-client';
import { InvalidMetricsOptionsError } from '../errors/invalid-metrics-options.error';
import type { OpenSmsWebhookMetricsOptions, ResolvedOpenSmsWebhookMetricsOptions } from './opensms-webhook-metrics-options.interface';

/** Default buckets of the call and handler durations (prom-client's own). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Default buckets of the lag from the provider's timestamp to processed: sub-second to an hour. */
const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** Applies the defaults and checks the options; throws {@link InvalidMetricsOptionsError} naming every problem. */
export function resolveMetricsOptions(options: OpenSmsWebhookMetricsOptions): ResolvedOpenSmsWebhookMetricsOptions {
  const resolved: ResolvedOpenSmsWebhookMetricsOptions = {
    registry: options.registry ?? register,
    inboxCacheMs: options.inboxCacheMs ?? 1000,
    inboxTimeoutMs: options.inboxTimeoutMs ?? 1000,
    durationBuckets: options.durationBuckets ?? DURATION_BUCKETS,
    lagBuckets: options.lagBuckets ?? LAG_BUCKETS,
  };
  const problems: string[] = [];
  if (typeof resolved.registry?.registerMetric !== 'function') problems.push('registry must be a prom-client Registry');
  if (!Number.isInteger(resolved.inboxCacheMs) || resolved.inboxCacheMs < 0) {
    problems.push('inboxCacheMs must be a whole number of at least 0');
  }
  if (!Number.isInteger(resolved.inboxTimeoutMs) || resolved.inboxTimeoutMs < 1) {
    problems.push('inboxTimeoutMs must be a whole number of at least 1');
  }
  for (const name of ['durationBuckets', 'lagBuckets'] as const) {
    const buckets = resolved[name];
    if (
      !Array.isArray(buckets) ||
      buckets.length === 0 ||
      buckets.some((bound, index) => !(bound > 0) || (index > 0 && bound <= buckets[index - 1]))
    ) {
      problems.push(`${name} must be a non-empty list of increasing positive seconds`);
    }
  }
  if (problems.length > 0) throw new InvalidMetricsOptionsError(problems);
  return resolved;
}
