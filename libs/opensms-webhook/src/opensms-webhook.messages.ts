/** Log lines, kept in one place so that they stay consistent and free of secrets. */
export const messages = {
  received: (id: string, event: string, messageId: string | null, duplicate: boolean) =>
    `${duplicate ? 'Duplicate' : 'Received'} ${event} for message ${messageId ?? '-'} (inbox ${id})`,
  invalid: (id: string, problems: readonly string[]) =>
    `Stored invalid webhook call as inbox ${id}: ${problems.join('; ')}`,
  rejectedSignature: (reason: string) => `Rejected webhook call: ${reason}`,
  storeFailed: (error: unknown) => `Inbox unavailable, answered 503: ${describeError(error)}`,
  enqueueFailed: (error: unknown) =>
    `Could not enqueue a stored event; the reconciler will: ${describeError(error)}`,
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
  workerStopped: (error: unknown) => `Worker stopped: ${describeError(error)}`,
  secretResolverFailed: (error: unknown) => `secretResolver failed: ${describeError(error)}`,
  unusableSecret: (error: unknown) => `secretResolver returned an unusable secret: ${describeError(error)}`,
  reconciled: (count: number) => `Reconciler re-enqueued ${count} stored event(s) that had no job`,
  pruned: (count: number, days: number) => `Retention pruned ${count} finished event(s) older than ${days} day(s)`,
  evictionPolicy: (policy: string) =>
    `Redis maxmemory-policy is "${policy}": Redis may evict queued jobs under memory pressure. ` +
    'Set it to "noeviction" (the reconciler recovers lost jobs, but late).',
  noHandlers: () => 'No @OnSmsEvent handlers found: every known event will be marked ignored.',
  handlerBound: (handler: string, types: readonly string[]) => `Bound @OnSmsEvent(${types.join(', ')}) ${handler}`,
  consoleReplayed: (user: string, id: string, replayed: boolean) =>
    `Console: ${user} replayed inbox ${id}${replayed ? '' : ' (nothing to do: it was neither dead nor failed)'}`,
  consoleReplayedDead: (user: string, count: number, filter: string) =>
    `Console: ${user} replayed ${count} dead event(s) matching ${filter}`,
  consolePaused: (user: string, paused: boolean) => `Console: ${user} ${paused ? 'paused' : 'resumed'} processing`,
};

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
