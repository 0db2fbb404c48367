/**
 * More calls than `ingest.maxPendingCalls` were already waiting for the inbox in this process, so this
 * one was not stored: the webhook route answers 503 with `Retry-After` at once and OpenSMS
 * delivers the call again later. Seen often, add ingest processes or raise the database's capacity.
 */
export class IngestOverloadedError extends Error {
  constructor(readonly limit: number) {
    super(`Ingest queue full: ${limit} calls already wait for the inbox; raise ingest.maxPendingCalls or add ingest processes`);
    this.name = 'IngestOverloadedError';
  }
}
