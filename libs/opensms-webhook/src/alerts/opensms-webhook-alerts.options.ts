import { InvalidAlertsOptionsError } from '../errors/invalid-alerts-options.error';
import type { OpenSmsWebhookAlertsOptions, ResolvedOpenSmsWebhookAlertsOptions } from './opensms-webhook-alerts-options.interface';

const DEFAULTS: ResolvedOpenSmsWebhookAlertsOptions = {
  signatureFailureThreshold: 20,
  signatureFailureWindowMs: 60_000,
  backlogThreshold: 1000,
  backlogCheckIntervalMs: 60_000,
};

/** Applies the defaults and checks the alert options; throws {@link InvalidAlertsOptionsError} naming every problem. */
export function resolveAlertsOptions(options: OpenSmsWebhookAlertsOptions = {}): ResolvedOpenSmsWebhookAlertsOptions {
  const merged = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) };
  const problems: string[] = [];
  for (const key of ['signatureFailureThreshold', 'signatureFailureWindowMs', 'backlogThreshold'] as const) {
    if (!Number.isInteger(merged[key]) || merged[key] < 1) problems.push(`${key} must be a whole number ≥ 1 (got ${String(merged[key])})`);
  }
  if (!Number.isInteger(merged.backlogCheckIntervalMs) || merged.backlogCheckIntervalMs < 0) {
    problems.push(
      `backlogCheckIntervalMs must be a whole number ≥ 0, 0 to turn the check off (got ${String(merged.backlogCheckIntervalMs)})`,
    );
  }
  if (problems.length > 0) throw new InvalidAlertsOptionsError(problems);
  return merged;
}
