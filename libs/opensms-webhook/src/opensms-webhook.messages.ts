/** Log lines, kept in one place so that they stay consistent and free of secrets. */
export const messages = {
  received: (id: string, event: string, messageId: string | null, duplicate: boolean) =>
    `${duplicate ? 'Duplicate' : 'Received'} ${event} for message ${messageId ?? '-'} (inbox ${id})`,
  invalid: (id: string, problems: readonly string[]) =>
    `Stored invalid webhook call as inbox ${id}: ${problems.join('; ')}`,
  rejectedSignature: (reason: string) => `Rejected webhook call: ${reason}`,
  storeFailed: (error: unknown) => `Inbox unavailable, answered 503: ${describeError(error)}`,
  relayFailed: (error: unknown) =>
    `Relay could not queue stored events; they stay stored and are tried again: ${describeError(error)}`,
  relayNotifyFailed: (error: unknown) =>
    `Could not notify the relays; they find the stored events on their next round: ${describeError(error)}`,
  overloaded: (limit: number) => `Ingest queue full (${limit} calls waiting for the inbox): answered 503`,
  redisError: (error: unknown) => `Queue connection error: ${describeError(error)}`,
  processed: (id: string, event: string, stale: boolean) =>
    `Processed ${event} (inbox ${id})${stale ? ' [stale: a later event of this message was already processed]' : ''}`,
  ignored: (id: string, event: string) => `Ignored ${event} (inbox ${id}): no @OnSmsEvent handler for it`,
  handlerFailed: (id: string, handler: string, attempt: number, error: unknown) =>
    `Handler ${handler} failed on inbox ${id} (attempt ${attempt}): ${describeError(error)}`,
  dead: (id: string, event: string, attempts: number, error: string | null) =>
    `Event ${event} (inbox ${id}) is dead after ${attempts} attempt(s): ${error ?? 'unknown error'}. ` +
    'Replay it with OpenSmsWebhookService.replay() or the CLI once the cause is fixed.',
  reconcileFailed: (error: unknown) => `Reconciler sweep failed, will try again: ${describeError(error)}`,
  retentionFailed: (error: unknown) => `Retention failed, will try again: ${describeError(error)}`,
  secretResolverFailed: (error: unknown) => `secretResolver failed: ${describeError(error)}`,
  unusableSecret: (error: unknown) => `secretResolver returned an unusable secret: ${describeError(error)}`,
  reconciled: (count: number) => `Reconciler handed ${count} stored event(s) that had no live job back to the relay`,
  pruned: (count: number, days: number) => `Retention pruned ${count} finished event(s) older than ${days} day(s)`,
  evictionPolicy: (policy: string) =>
    `Redis maxmemory-policy is "${policy}": Redis may evict queued jobs under memory pressure. ` +
    'Set it to "noeviction" (the reconciler recovers lost jobs, but late).',
  noHandlers: () => 'No @OnSmsEvent handlers found: every known event will be marked ignored.',
  handlerBound: (handler: string, types: readonly string[]) => `Bound @OnSmsEvent(${types.join(', ')}) ${handler}`,
};

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
