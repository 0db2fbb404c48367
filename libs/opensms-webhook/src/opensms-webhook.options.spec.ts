import { InvalidModuleOptionsError } from './errors/invalid-module-options.error';
import { StandardWebhooksEd25519Verifier } from './ingest/verifiers/standard-webhooks-ed25519.verifier';
import { StandardWebhooksVerifier } from './ingest/verifiers/standard-webhooks.verifier';
import { StripeStyleVerifier } from './ingest/verifiers/stripe-style.verifier';
import { resolveOpenSmsWebhookOptions } from './opensms-webhook.options';
import type { OpenSmsWebhookModuleOptions } from './opensms-webhook-options.interface';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** An Ed25519 public key (RFC 8032, section 7.1, test 1). */
const PUBLIC_KEY = `whpk_${Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64')}`;

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
  it('merges the documented defaults into every group', () => {
    const resolved = resolveOpenSmsWebhookOptions({ secret: SECRET });
    expect(resolved).toMatchObject({
      path: 'webhooks/sms',
      queueName: 'opensms-webhooks',
      mode: 'all',
      ingest: {
        toleranceSeconds: 300,
        bodyLimitBytes: 65536,
        maxPendingCalls: 1000,
        maxEventLoopDelayMs: 250,
        maxInboxWaitMs: 1000,
        storeTimeoutMs: 4000,
        retryAfterSeconds: 30,
      },
      queue: { backend: 'redis', connection: { host: '127.0.0.1', port: 6379 }, prefix: 'bull' },
      worker: { concurrency: 64, batchSize: 32, lockDuration: 30_000, stalledInterval: 30_000, shutdownGraceMs: 10_000 },
      job: { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } },
      retention: { days: 30 },
      tracing: { enabled: true, propagate: [], maxPropagatedBytes: 512 },
    });
    expect(resolved.verifier).toBeInstanceOf(StandardWebhooksVerifier);
  });

  it('keeps the defaults of a group beside the fields given in it', () => {
    const resolved = resolveOpenSmsWebhookOptions({ secret: SECRET, worker: { concurrency: 8 }, job: { attempts: 2 } });
    expect(resolved.worker).toMatchObject({ concurrency: 8, batchSize: 32, lockDuration: 30_000 });
    expect(resolved.job).toMatchObject({ attempts: 2, backoff: { type: 'exponential', delay: 1000 } });
  });

  it('refuses every option of the flat layout, naming what replaces it', () => {
    const message = problemsOf({
      secret: SECRET,
      concurrency: 8,
      redis: { host: 'redis' },
      maxEventsPerSecond: 5,
      keepFinishedJobs: 10,
      relayIntervalMs: 500,
    } as never);
    expect(message).toMatch(/concurrency is no longer an option: use worker: \{ concurrency \}/);
    expect(message).toMatch(/redis is no longer an option: use queue: \{ connection \}/);
    expect(message).toMatch(/maxEventsPerSecond is no longer an option: use worker: \{ limiter: \{ max, duration: 1000 \} \}/);
    expect(message).toMatch(/keepFinishedJobs is no longer an option: use job: \{ removeOnComplete, removeOnFail \}/);
    expect(message).toMatch(/relayIntervalMs is no longer an option: use nothing: the relay looks every second/);
  });

  it('refuses a name no group takes, listing the ones it does', () => {
    expect(problemsOf({ secret: SECRET, wroker: {} } as never)).toMatch(
      /wroker is not an option \(options: secret, publicKeys, ingest, tenants, queue, worker, job, retention, tracing\)/,
    );
    expect(problemsOf({ secret: SECRET, worker: { autorun: false } } as never)).toMatch(
      /worker.autorun is not an option \(worker takes limiter, concurrency, lockDuration/,
    );
    expect(problemsOf({ secret: SECRET, job: 3 } as never)).toMatch(/job must be an object of options/);
  });

  it("limits the event rate only when asked, with BullMQ's limiter in whole numbers", () => {
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET }).worker.limiter).toBeUndefined();
    const limiter = { max: 5, duration: 1000 };
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, worker: { limiter } }).worker.limiter).toEqual(limiter);
    for (const wrong of [{ max: 0, duration: 1000 }, { max: 2.5, duration: 1000 }, { max: 5, duration: Number.NaN }, { max: '5' }]) {
      expect(problemsOf({ secret: SECRET, worker: { limiter: wrong as never } })).toMatch(
        /worker.limiter must be \{ max, duration \} in whole numbers ≥ 1/,
      );
    }
  });

  it.each(['maxEventLoopDelayMs', 'maxInboxWaitMs'] as const)(
    'takes 0 for ingest.%s (off), and refuses what is not a number ≥ 0',
    (field) => {
      expect(resolveOpenSmsWebhookOptions({ secret: SECRET, ingest: { [field]: 0 } }).ingest[field]).toBe(0);
      for (const wrong of [-1, Number.NaN, '100']) {
        expect(problemsOf({ secret: SECRET, ingest: { [field]: wrong as never } })).toMatch(
          new RegExp(`ingest.${field} must be a number ≥ 0`),
        );
      }
    },
  );

  it("takes a PostgreSQL URL for the relay's LISTEN connection, and refuses anything else", () => {
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET }).worker.listenUrl).toBeUndefined();
    const listenUrl = 'postgres://app@db.internal:5432/app';
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, worker: { listenUrl } }).worker.listenUrl).toBe(listenUrl);
    for (const wrong of ['', 'db.internal:5432', 'redis://127.0.0.1:6379', 42]) {
      expect(problemsOf({ secret: SECRET, worker: { listenUrl: wrong as never } })).toMatch(
        /worker.listenUrl must be a PostgreSQL URL, postgres:\/\/user:password@host:5432\/database, straight to the server/,
      );
    }
  });

  it('refuses a batch size below one and a back-off BullMQ does not know', () => {
    expect(problemsOf({ secret: SECRET, worker: { batchSize: 0 } })).toMatch(/worker.batchSize must be a whole number ≥ 1 \(got 0\)/);
    expect(problemsOf({ secret: SECRET, job: { backoff: { type: 'linear', delay: 5 } } })).toMatch(/job.backoff must be/);
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, job: { backoff: 250 } }).job.backoff).toBe(250);
  });

  it('traces by default, takes true / false as short for { enabled }, and refuses anything else', () => {
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET }).tracing.enabled).toBe(true);
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, tracing: false }).tracing).toEqual({
      enabled: false,
      propagate: [],
      maxPropagatedBytes: 512,
    });
    expect(resolveOpenSmsWebhookOptions({ secret: SECRET, tracing: { propagate: ['baggage'] } }).tracing).toMatchObject({
      enabled: true,
      propagate: ['baggage'],
    });
    expect(problemsOf({ secret: SECRET, tracing: 'yes' as never })).toMatch(/tracing must be true, false or an object of options/);
    expect(problemsOf({ secret: SECRET, tracing: { enabled: 'yes' as never } })).toMatch(/tracing.enabled must be true or false/);
    expect(problemsOf({ secret: SECRET, tracing: { propagate: ['traceparent' as never] } })).toMatch(
      /tracing.propagate must be a list of 'tracestate' and 'baggage'/,
    );
    expect(problemsOf({ secret: SECRET, tracing: { maxPropagatedBytes: 0 } })).toMatch(
      /tracing.maxPropagatedBytes must be a whole number ≥ 1/,
    );
  });

  it('builds the Stripe-style verifier on a lower-cased header', () => {
    const resolved = resolveOpenSmsWebhookOptions({ secret: SECRET, ingest: { signatureScheme: 'stripe', signatureHeader: 'X-Sig' } });
    expect(resolved.verifier).toBeInstanceOf(StripeStyleVerifier);
    expect(resolved.ingest.signatureHeader).toBe('x-sig');
  });

  it('needs a connection string for the PostgreSQL queue backend', () => {
    expect(problemsOf({ secret: SECRET, queue: { backend: 'postgres' } })).toMatch(
      /queue.backend 'postgres' needs queue: \{ postgres: \{ connectionString/,
    );
    const resolved = resolveOpenSmsWebhookOptions({
      secret: SECRET,
      queue: { backend: 'postgres', postgres: { connectionString: 'postgres://db' } },
    });
    expect(resolved.queue.postgres).toEqual({ connectionString: 'postgres://db', schema: 'bullmq' });
  });

  it('takes a Redis Cluster only with a hash tag in the key prefix, and never next to queue.connection', () => {
    const nodes = [{ host: 'redis-1', port: 6379 }];
    expect(problemsOf({ secret: SECRET, queue: { cluster: { nodes } } })).toMatch(
      /queue.prefix 'bull' has no Redis Cluster hash tag, .* use queue: \{ prefix: '\{opensms\}' \}/,
    );
    expect(problemsOf({ secret: SECRET, queue: { cluster: { nodes }, prefix: '{}opensms' } })).toMatch(/no Redis Cluster hash tag/);
    expect(problemsOf({ secret: SECRET, queue: { cluster: { nodes: [] }, prefix: '{opensms}' } })).toMatch(
      /queue.cluster.nodes must list at least one node/,
    );
    expect(problemsOf({ secret: SECRET, queue: { cluster: { nodes }, connection: { host: 'redis-1' }, prefix: '{opensms}' } })).toMatch(
      /queue.connection and queue.cluster are two ways to reach Redis: give one; .* queue.cluster.options.redisOptions/,
    );
    const resolved = resolveOpenSmsWebhookOptions({ secret: SECRET, queue: { cluster: { nodes }, prefix: '{opensms}' } });
    expect(resolved.queue).toMatchObject({ cluster: { nodes }, prefix: '{opensms}' });
    // NOTE: a hash tag in the queue name puts the keys in one slot too (bull:{sms}:wait).
    expect(() => resolveOpenSmsWebhookOptions({ secret: SECRET, queue: { cluster: { nodes } } }, { queueName: '{sms}' })).not.toThrow();
  });

  it('refuses options without a secret and says what to give', () => {
    expect(problemsOf({})).toMatch(
      /secret is required \(the signing secret from OpenSMS\), or publicKeys, or give tenants: \{ secretResolver \}/,
    );
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

  it('accepts a tenants secretResolver instead of a secret, and refuses one that is not a function', () => {
    expect(() => resolveOpenSmsWebhookOptions({ tenants: { secretResolver: () => SECRET } })).not.toThrow();
    expect(problemsOf({ tenants: { secretResolver: 'nope' as never } })).toMatch(/tenants.secretResolver must be a function/);
  });

  it('refuses a malformed whsec_ secret and explains the accepted forms', () => {
    const message = problemsOf({ secret: 'whsec_not*base64' });
    expect(message).toMatch(/starts with "whsec_" but the rest is not base64/);
    expect(message).toMatch(/either as "whsec_<base64>" or as the raw string/);
  });

  it('refuses at start-up a secret whose key is shorter than 16 bytes, naming its length and where to get a proper one', () => {
    const fiveBytes = `whsec_${Buffer.from('wrong').toString('base64')}`;
    const message = problemsOf({ secret: fiveBytes });
    expect(message).toMatch(/secret #1 gives a 5-byte key, shorter than the 16 bytes a signing key needs/);
    expect(message).toMatch(/Settings → Webhooks/);
    expect(problemsOf({ secret: [SECRET, 'raw'] })).toMatch(/secret #2 gives a 3-byte key/);
    expect(() => resolveOpenSmsWebhookOptions({ secret: 'short-secret' }, { mode: 'worker' })).toThrow(/12-byte key/);
    expect(problemsOf({ secret: 'whsec_AAAA', ingest: { signatureScheme: 'stripe' } })).toMatch(/secret #1 gives a 10-byte key/);
  });

  it("measures a custom verifier's key as its readSecret returns it", () => {
    const verifier = {
      name: 'hex-keys',
      verify: () => ({ valid: false as const, reason: 'unused' }),
      readSecret: (secret: string) => Buffer.from(secret, 'hex'),
    };
    expect(problemsOf({ secret: '00112233445566778899', ingest: { signatureScheme: verifier } })).toMatch(/secret #1 gives a 10-byte key/);
    expect(() =>
      resolveOpenSmsWebhookOptions({ secret: '00112233445566778899aabbccddeeff', ingest: { signatureScheme: verifier } }),
    ).not.toThrow();
  });

  it('refuses a negative tolerance, naming the option and the accepted range', () => {
    expect(problemsOf({ secret: SECRET, ingest: { toleranceSeconds: -1 } })).toMatch(
      /ingest.toleranceSeconds must be a number ≥ 0 \(got -1\)/,
    );
  });

  it('lists every problem at once', () => {
    const message = problemsOf({ ingest: { bodyLimitBytes: 0, toleranceSeconds: Number.NaN } });
    expect(message).toMatch(/secret is required/);
    expect(message).toMatch(/ingest.bodyLimitBytes must be a whole number ≥ 1/);
    expect(message).toMatch(/ingest.toleranceSeconds must be a number ≥ 0/);
  });

  describe('publicKeys', () => {
    it('verify with Standard Webhooks v1a, alone or next to a secret, and pass a rotation list as given', () => {
      const alone = resolveOpenSmsWebhookOptions({ publicKeys: PUBLIC_KEY });
      expect(alone.publicKeys).toEqual([PUBLIC_KEY]);
      expect(alone.schemes).toEqual([expect.any(StandardWebhooksEd25519Verifier)]);
      const both = resolveOpenSmsWebhookOptions({ secret: SECRET, publicKeys: [PUBLIC_KEY, PUBLIC_KEY] });
      expect(both.publicKeys).toEqual([PUBLIC_KEY, PUBLIC_KEY]);
      expect(both.schemes).toEqual([expect.any(StandardWebhooksVerifier), expect.any(StandardWebhooksEd25519Verifier)]);
      expect(resolveOpenSmsWebhookOptions({ secret: SECRET }).schemes).toEqual([expect.any(StandardWebhooksVerifier)]);
      expect(resolveOpenSmsWebhookOptions({ tenants: { secretResolver: () => SECRET } }).schemes).toHaveLength(2);
    });

    it.each([
      ['a key without the prefix', PUBLIC_KEY.slice('whpk_'.length), /public key #1 does not start with "whpk_"/],
      ['a whsec_ secret', SECRET, /public key #1 does not start with "whpk_" \("whsec_" secrets belong in secret\)/],
      ['the secret key', `whsk_${Buffer.alloc(64, 1).toString('base64')}`, /public key #1 starts with "whsk_": that is the secret key/],
      ['a key that is not base64', 'whpk_not*base64', /public key #1 starts with "whpk_" but the rest is not base64/],
      [
        'a 31-byte key',
        `whpk_${Buffer.alloc(31, 1).toString('base64')}`,
        /public key #1 gives a 31-byte key; an Ed25519 public key is 32 bytes/,
      ],
      ['a 64-byte key', `whpk_${Buffer.alloc(64, 1).toString('base64')}`, /public key #1 gives a 64-byte key/],
    ])('refuses at start-up %s, saying what a public key looks like', (_case, key, problem) => {
      const message = problemsOf({ publicKeys: key });
      expect(message).toMatch(problem);
      expect(message).toMatch(/Give the sender's Ed25519 public key as "whpk_<base64 of its 32 bytes>" in publicKeys/);
    });

    it('names the bad key of a rotation list, and refuses an empty list', () => {
      expect(problemsOf({ publicKeys: [PUBLIC_KEY, 'whpk_AAAA'] })).toMatch(/public key #2 gives a 3-byte key/);
      expect(problemsOf({ publicKeys: [PUBLIC_KEY, ' '] })).toMatch(/public key #2 is empty/);
      expect(problemsOf({ publicKeys: [] })).toMatch(/no public key given/);
    });

    it('refuses an Ed25519 key given as a secret', () => {
      expect(problemsOf({ secret: PUBLIC_KEY })).toMatch(/secret #1 starts with "whpk_": it is an Ed25519 key, not a secret.*publicKeys/);
      expect(problemsOf({ secret: [SECRET, 'whsk_AAAA'] })).toMatch(/secret #2 starts with "whsk_"/);
    });

    it('need the standard-webhooks scheme, and come from the resolver when there are tenants', () => {
      expect(problemsOf({ publicKeys: PUBLIC_KEY, ingest: { signatureScheme: 'stripe' } })).toMatch(
        /publicKeys verify Standard Webhooks v1a signatures: they need ingest.signatureScheme 'standard-webhooks'/,
      );
      expect(problemsOf({ publicKeys: PUBLIC_KEY, tenants: { secretResolver: () => SECRET } })).toMatch(
        /publicKeys cannot be given with tenants: return them per tenant from tenants.secretResolver as \{ tenant, publicKeys \}/,
      );
    });
  });
});
