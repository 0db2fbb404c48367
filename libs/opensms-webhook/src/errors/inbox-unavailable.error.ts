/**
 * The inbox could not durably store a call in time, so it was not acknowledged: the webhook route
 * answers 503 with `Retry-After` and OpenSMS delivers the call again later.
 */
export class InboxUnavailableError extends Error {
  constructor(cause: unknown) {
    super('Webhook inbox unavailable', { cause });
    this.name = 'InboxUnavailableError';
  }
}
