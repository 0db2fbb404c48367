/**
 * `secretResolver` threw (its tenant directory is down, say), so the call could not be verified:
 * the webhook route answers 503 with `Retry-After` and OpenSMS delivers the call again later. Make
 * the resolver return nothing for an unknown tenant (401) and throw only when it cannot answer.
 */
export class SecretResolverFailedError extends Error {
  constructor(cause: unknown) {
    super('Webhook secret lookup (secretResolver) failed', { cause });
    this.name = 'SecretResolverFailedError';
  }
}
