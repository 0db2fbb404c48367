import { register, Registry } from 'prom-client';
import { InvalidMetricsOptionsError } from '../errors/invalid-metrics-options.error';
import { resolveMetricsOptions } from './opensms-webhook-metrics.options';

describe('resolveMetricsOptions', () => {
  it("defaults to prom-client's default register, a one-second cache and timeout", () => {
    expect(resolveMetricsOptions({})).toMatchObject({ registry: register, inboxCacheMs: 1000, inboxTimeoutMs: 1000 });
  });

  it('keeps a registry of the host', () => {
    const registry = new Registry();
    expect(resolveMetricsOptions({ registry }).registry).toBe(registry);
  });

  it('names every option that cannot work', () => {
    const resolve = () =>
      resolveMetricsOptions({
        registry: {} as Registry,
        inboxCacheMs: -1,
        inboxTimeoutMs: 0,
        durationBuckets: [1, 0.5],
        lagBuckets: [],
      });
    expect(resolve).toThrow(InvalidMetricsOptionsError);
    expect(resolve).toThrow(
      [
        'OpenSmsWebhookMetricsModule options are invalid:',
        '- registry must be a prom-client Registry',
        '- inboxCacheMs must be a whole number of at least 0',
        '- inboxTimeoutMs must be a whole number of at least 1',
        '- durationBuckets must be a non-empty list of increasing positive seconds',
        '- lagBuckets must be a non-empty list of increasing positive seconds',
      ].join('\n'),
    );
  });
});
