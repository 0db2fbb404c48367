import { InvalidModuleOptionsError } from './errors/invalid-module-options.error';
import { StandardWebhooksVerifier } from './ingest/verifiers/standard-webhooks.verifier';
import { StripeStyleVerifier } from './ingest/verifiers/stripe-style.verifier';
import { resolveOpenSmsWebhookOptions } from './opensms-webhook.options';
import type { OpenSmsWebhookModuleOptions } from './opensms-webhook-options.interface';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function problemsOf(options: OpenSmsWebhookModuleOptions): string {
  try {
    resolveOpenSmsWebhookOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidModuleOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveOpenSmsWebhookOptions', () => {
  it('merges the documented defaults', () => {
    const resolved = resolveOpenSmsWebhookOptions({ secret: SECRET });
    expect(resolved).toMatchObject({
      path: 'webhooks/sms',
      queueName: 'opensms-webhooks',
      mode: 'all',
      toleranceSeconds: 300,
      bodyLimitBytes: 65536,
      queueBackend: 'redis',
    });
    expect(resolved.verifier).toBeInstanceOf(StandardWebhooksVerifier);
  });

  it('limits the event rate only when asked, to a whole number of events per second', () => {
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET }).maxEventsPerSecond).toBeUndefined();
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, maxEventsPerSecond: 5 }).maxEventsPerSecond).toBe(5);
    for (const wrong of [0, -1, 2.5, Number.NaN, '5' as unknown as number]) {
      expect(problemsOf({ secret: SECRET, maxEventsPerSecond: wrong })).toMatch(
        /maxEventsPerSecond must be a whole number ≥ 1, or left out for no limit/,
      );
    }
  });

  it('batches dispatch by default and refuses a batch size below one', () => {
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET })).toMatchObject({
      concurrency: 64,
      dispatchBatchSize: 32,
      dispatchBatchMaxMs: 1000,
    });
    expect(problemsOf({ secret: SECRET, dispatchBatchSize: 0 })).toMatch(/dispatchBatchSize must be a whole number ≥ 1 \(got 0\)/);
    expect(problemsOf({ secret: SECRET, dispatchBatchMaxMs: -1 })).toMatch(/dispatchBatchMaxMs must be a number ≥ 0 \(got -1\)/);
  });

  it('traces by default and refuses a tracing switch that is not a boolean', () => {
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET }).tracing).toBe(true);
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, tracing: false }).tracing).toBe(false);
    expect(problemsOf({ secret: SECRET, tracing: 'yes' as never })).toMatch(/tracing must be true or false \(got yes\)/);
  });

  it('builds the Stripe-style verifier on a lower-cased header', () => {
    const resolved = resolveOpenSmsWebhookOptions({ secret: SECRET, signatureScheme: 'stripe', signatureHeader: 'X-Sig' });
    expect(resolved.verifier).toBeInstanceOf(StripeStyleVerifier);
    expect(resolved.signatureHeader).toBe('x-sig');
  });

  it('refuses options without a secret and says what to give', () => {
    expect(problemsOf({})).toMatch(/secret is required \(the signing secret from OpenSMS\), or give a secretResolver/);
    expect(problemsOf({ secret: '' })).toMatch(/secret is required/);
  });

  it('needs no secret in a worker-only module, which receives nothing, but still checks one that is given', () => {
    expect(() => resolveOpenSmsWebhookOptions({}, { mode: 'worker' })).not.toThrow();
    expect(() => resolveOpenSmsWebhookOptions({}, { mode: 'ingest' })).toThrow(/secret is required/);
    expect(() => resolveOpenSmsWebhookOptions({ secret: 'whsec_not*base64' }, { mode: 'worker' })).toThrow(/not base64/);
  });

  it('refuses a dataSource that names no DataSource', () => {
    expect(() => resolveOpenSmsWebhookOptions({ secret: SECRET }, { dataSource: '' })).toThrow(
      /dataSource must be the name of a TypeORM DataSource/,
    );
  });

  it('accepts a secretResolver instead of a secret', () => {
    expect(() => resolveOpenSmsWebhookOptions({ secretResolver: () => SECRET })).not.toThrow();
  });

  it('refuses a malformed whsec_ secret and explains the accepted forms', () => {
    const message = problemsOf({ secret: 'whsec_not*base64' });
    expect(message).toMatch(/starts with "whsec_" but the rest is not base64/);
    expect(message).toMatch(/either as "whsec_<base64>" or as the raw string/);
  });

  it('refuses a negative tolerance, naming the option and the accepted range', () => {
    expect(problemsOf({ secret: SECRET, toleranceSeconds: -1 })).toMatch(/toleranceSeconds must be a number ≥ 0 \(got -1\)/);
  });

  it('lists every problem at once', () => {
    const message = problemsOf({ bodyLimitBytes: 0, toleranceSeconds: Number.NaN });
    expect(message).toMatch(/secret is required/);
    expect(message).toMatch(/bodyLimitBytes must be a whole number ≥ 1/);
    expect(message).toMatch(/toleranceSeconds must be a number ≥ 0/);
  });
});
