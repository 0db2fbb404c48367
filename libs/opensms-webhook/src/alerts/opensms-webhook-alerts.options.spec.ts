import { InvalidAlertsOptionsError } from '../errors/invalid-alerts-options.error';
import { resolveAlertsOptions } from './opensms-webhook-alerts.options';

describe('resolveAlertsOptions', () => {
  it('has a default for every threshold', () => {
    expect(resolveAlertsOptions()).toEqual({
      signatureFailureThreshold: 20,
      signatureFailureWindowMs: 60_000,
      backlogThreshold: 1000,
      backlogCheckIntervalMs: 60_000,
    });
    expect(resolveAlertsOptions({ backlogThreshold: 5, backlogCheckIntervalMs: 0 })).toMatchObject({
      backlogThreshold: 5,
      backlogCheckIntervalMs: 0,
    });
  });

  it('names every option that cannot work', () => {
    expect(() => resolveAlertsOptions({ signatureFailureThreshold: 0, backlogCheckIntervalMs: -1 })).toThrow(InvalidAlertsOptionsError);
    expect(() => resolveAlertsOptions({ signatureFailureThreshold: 0, backlogCheckIntervalMs: -1 })).toThrow(
      /signatureFailureThreshold must be a whole number ≥ 1 \(got 0\)\n- backlogCheckIntervalMs must be a whole number ≥ 0/,
    );
  });
});
