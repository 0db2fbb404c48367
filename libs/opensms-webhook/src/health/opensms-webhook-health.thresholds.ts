import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';

/**
 * Limits of {@link OpenSmsWebhookHealthIndicator.isHealthy}, given per check; every one has a
 * default.
 */
export interface OpenSmsWebhookHealthThresholds {
  /**
   * Backlog above which the check is down: the unfinished events (`received`, `processing` or
   * `failed`).
   * @default 1000
   */
  maxBacklog?: number;
  /**
   * Age of the oldest unfinished event (`received`, `processing` or `failed`) above which the
   * check is down.
   * @default 300000 (5 min)
   */
  maxOldestUnfinishedMs?: number;
  /**
   * `dead` events above which the check is `degraded`: still answered 200, but someone should
   * look at them and replay them. Unset: the count is only reported.
   * @default undefined
   */
  maxDead?: number;
  /**
   * Time without a completed reconciler sweep after which the check is down (processes that run
   * the worker, with the reconciler on). A sweep fails while the database or the queue does not
   * answer.
   * @default 3 × worker.reconcileIntervalMs
   */
  maxReconcilerSilenceMs?: number;
  /**
   * Bound on each round trip of a check to the database or the queue; one that takes longer is
   * reported down.
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * Whether a part that is down shows the driver's own error (it may name internal addresses)
   * instead of its kind (`connection refused`, `host not found`, `authentication failed`, …).
   * Health routes are often public: turn it on only where the answer is not.
   * @default false
   */
  errorDetails?: boolean;
}

/** Thresholds with every default filled in. */
export type ResolvedHealthThresholds = Required<Omit<OpenSmsWebhookHealthThresholds, 'maxDead'>> &
  Pick<OpenSmsWebhookHealthThresholds, 'maxDead'>;

/** The thresholds of one check: the given ones over the defaults. */
export function resolveHealthThresholds(
  thresholds: OpenSmsWebhookHealthThresholds,
  options: { worker: Pick<ResolvedOpenSmsWebhookOptions['worker'], 'reconcileIntervalMs'> },
): ResolvedHealthThresholds {
  return {
    maxBacklog: thresholds.maxBacklog ?? 1000,
    maxOldestUnfinishedMs: thresholds.maxOldestUnfinishedMs ?? 300_000,
    maxDead: thresholds.maxDead,
    maxReconcilerSilenceMs: thresholds.maxReconcilerSilenceMs ?? 3 * options.worker.reconcileIntervalMs,
    timeoutMs: thresholds.timeoutMs ?? 2000,
    errorDetails: thresholds.errorDetails ?? false,
  };
}
