import { printable } from './internal/printable';
import { tlsCertificateProblem } from './internal/tls-certificate';

/**
 * The lines that bound a request on each adapter, before \`app.listen()\`, and why the check interval goes with them:
 * Node.js ends an expired request only when it next checks its connections.
 */
function setServerTimeouts(adapter: string): string {
  const lines =
    adapter === 'fastify'
      ? 'Create the adapter with new FastifyAdapter({ requestTimeout: 30_000, keepAliveTimeout: 5000, ' +
        'http: { headersTimeout: 10_000, connectionsCheckingInterval: 1000 } })'
      : 'Before app.listen(), set const server = app.getHttpServer(); server.requestTimeout = 30_000; ' +
        'server.headersTimeout = 10_000; server.keepAliveTimeout = 5000; server.connectionsCheckingInterval = 1000';
  return (
    `${lines}. Node.js ends an expired request only at its next check of the connections, every ` +
    'connectionsCheckingInterval ms (30000 by default), so the bound is the timeout plus that interval.'
  );
}

/**
 * Log lines, kept in one place so that they stay consistent and free of secrets. Every value that
 * came with a request (or an error's message) goes through {@link printable}, so that a signed
 * payload cannot forge log lines.
 */
export const messages = {
  received: (id: string, event: string, messageId: string | null, duplicate: boolean) =>
    `${duplicate ? 'Duplicate' : 'Received'} ${printable(event)} for message ${printable(messageId ?? '-')} (inbox ${id})`,
  invalid: (id: string, problems: readonly string[]) => `Stored invalid webhook call as inbox ${id}: ${printable(problems.join('; '))}`,
  rejectedSignature: (reason: string) => `Rejected webhook call: ${printable(reason)}`,
  storeFailed: (error: unknown) => `Inbox unavailable, answered 503: ${describeError(error)}`,
  relayFailed: (error: unknown) => `Relay could not queue stored events; they stay stored and are tried again: ${describeError(error)}`,
  relayListenUnheard: (listenUrlGiven: boolean, timeoutMs: number) =>
    `The relay's LISTEN connection${listenUrlGiven ? ' (worker.listenUrl)' : ''} did not hear a NOTIFY sent through the ` +
    `DataSource within ${timeoutMs} ms: ` +
    (listenUrlGiven
      ? 'worker.listenUrl must reach the same PostgreSQL server as the DataSource, directly (not through a pooler). '
      : 'the DataSource likely goes through a pooler in transaction mode (PgBouncer pool_mode = transaction), which does not ' +
        'deliver notifications. Set worker: { listenUrl: "postgres://…" } to a direct PostgreSQL URL. ') +
    'Until then the relay does not listen and queues stored events on its round every second.',
  relayNotifyFailed: (error: unknown) =>
    `Could not notify the relays; they find the stored events on their next round: ${describeError(error)}`,
  overloaded: (limit: number) => `Ingest queue full (${limit} calls waiting for the inbox): answered 503`,
  eventLoopBehind: (delayMs: number, limitMs: number, refused: number) =>
    `Event loop ${Math.round(delayMs)} ms behind (ingest.maxEventLoopDelayMs: ${limitMs}): answering new webhook calls 503 ` +
    `before reading them (${refused} so far); add ingest processes or CPU if this lasts`,
  inboxBehind: (waitMs: number, limitMs: number, refused: number) =>
    `A call has waited ${Math.round(waitMs)} ms for the inbox (ingest.maxInboxWaitMs: ${limitMs}): answering new webhook calls 503 ` +
    `before reading them (${refused} so far); give PostgreSQL more room if this lasts`,
  redisError: (error: unknown) => {
    const certificate = tlsCertificateProblem(error);
    const fix =
      certificate === undefined
        ? ''
        : `. ${certificate}: trust the CA that signed the Redis server's certificate with tls: { ca } in queue.connection ` +
          '(queue.cluster.options.redisOptions on a cluster), or NODE_EXTRA_CA_CERTS=<CA file> in the environment';
    return `Queue connection error: ${describeError(error)}${fix}`;
  },
  processed: (id: string, event: string, stale: boolean) =>
    `Processed ${printable(event)} (inbox ${id})${stale ? ' [stale: a later event of this message was already processed]' : ''}`,
  ignored: (id: string, event: string) => `Ignored ${printable(event)} (inbox ${id}): no @OnSmsEvent handler for it`,
  handlerFailed: (id: string, handler: string, attempt: number, error: unknown) =>
    `Handler ${handler} failed on inbox ${id} (attempt ${attempt}): ${describeError(error)}`,
  dead: (id: string, event: string, attempts: number, error: string | null) =>
    `Event ${printable(event)} (inbox ${id}) is dead after ${attempts} attempt(s): ${printable(error ?? 'unknown error')}. ` +
    'Replay it with OpenSmsWebhookService.replay() or the CLI once the cause is fixed.',
  observerFailed: (report: string, error: unknown) => `A telemetry observer failed on ${report}; ignored: ${describeError(error)}`,
  reconcileFailed: (error: unknown) => `Reconciler sweep failed, will try again: ${describeError(error)}`,
  retentionFailed: (error: unknown) => `Retention failed, will try again: ${describeError(error)}`,
  closeCut: (what: string, ms: number) => `Shutdown: ${what} did not end within ${ms} ms; its connection was cut`,
  batchesCut: (count: number, graceMs: number) =>
    `Shutdown: ${count} batch(es) still running after worker.shutdownGraceMs (${graceMs} ms) were cut and roll back; ` +
    'their events are taken over by another worker once their job locks expire',
  workerStopped: (error: unknown) => `Worker stopped: ${describeError(error)}`,
  secretResolverFailed: (error: unknown, failures: number) =>
    `secretResolver failed, answering 503 until it works again (${failures} call(s) so far): ${describeError(error)}`,
  secretResolverRecovered: (failures: number) => `secretResolver works again after ${failures} failed call(s)`,
  unusableSecret: (error: unknown) => `secretResolver returned an unusable secret or tenant: ${describeError(error)}`,
  unknownTenant: () => 'Rejected webhook call: secretResolver returned no secret for it (unknown tenant)',
  verifierThrew: (verifier: string, error: unknown) =>
    `Rejected webhook call: signature verifier "${printable(verifier)}" threw instead of answering ` +
    `{ valid: false } (secrets redacted): ${describeError(error)}`,
  reconciled: (count: number) => `Reconciler handed ${count} stored event(s) that had no live job back to the relay`,
  pruned: (count: number, days: number) => `Retention pruned ${count} finished event(s) older than ${days} day(s)`,
  evictionPolicy: (policy: string) =>
    `Redis maxmemory-policy is "${policy}": Redis may evict queued jobs under memory pressure. ` +
    'Set it to "noeviction" (the reconciler recovers lost jobs, but late).',
  bodyLimitNotApplied: (adapter: string, limit: number) =>
    `The webhook route was not found on ${adapter}, so the framework may read bodies beyond ingest.bodyLimitBytes (${limit}) ` +
    'before this module refuses them. Register the module in the application created by NestFactory.create().',
  bodyParserBeforeLimit: (limit: number) =>
    `A JSON body parser runs before the webhook route's own (limit ${limit} bytes), so larger bodies are read before ` +
    'they are refused. Add your own body parsers with app.useBodyParser() after NestFactory.create(), not to the ' +
    'Express instance given to the adapter.',
  unboundedRequestTimeout: (adapter: string) =>
    `The HTTP server's requestTimeout is 0: a stalled upload holds its connection for ever. ${setServerTimeouts(adapter)}`,
  longRequestTimeout: (adapter: string, requestTimeoutMs: number) =>
    `The HTTP server's requestTimeout is ${requestTimeoutMs} ms (Node.js default 300000): too long for a webhook, ` +
    `a stalled upload holds its connection that long. ${setServerTimeouts(adapter)}`,
  noHandlers: () => 'No @OnSmsEvent handlers found: every known event will be marked ignored.',
  handlerBound: (handler: string, types: readonly string[]) => `Bound @OnSmsEvent(${types.join(', ')}) ${handler}`,
  consoleReplayed: (user: string, id: string, replayed: boolean) =>
    `Console: ${printable(user)} replayed inbox ${id}${replayed ? '' : ' (nothing to do: it was neither dead nor failed)'}`,
  consoleReplayedDead: (user: string, count: number, filter: string) =>
    `Console: ${printable(user)} replayed ${count} dead event(s) matching ${printable(filter)}`,
  consoleReprocessing: (user: string, events: number, handlers: readonly string[] | null, filter: string) =>
    `Console: ${printable(user)} started reprocessing ${events} event(s) for ${
      handlers === null ? 'every handler' : printable(handlers.join(', '))
    } matching ${printable(filter)}`,
  metricsInboxFailed: (error: unknown) =>
    `Metrics: could not read the inbox figures; the backlog gauges keep their last values: ${describeError(error)}`,
  consolePaused: (user: string, paused: boolean) => `Console: ${printable(user)} ${paused ? 'paused' : 'resumed'} processing`,
  consoleAccessRefused: (client: string, refused: number, limit: number, windowMs: number) =>
    `Console: refused access to ${printable(client)} (${refused} refused request(s) in this burst; ` +
    `a client refused ${limit} times within ${windowMs / 1000} s is answered 429 until that window has passed)`,
  consoleTooManyRefusals: 'Too many refused attempts from this address: try again after Retry-After seconds',
  consoleProcessingElsewhere:
    "Processing runs in worker processes: this process (mode 'ingest') can neither pause nor resume it. Use the console of a process whose module has mode 'all' or 'worker'.",
  backlogCheckFailed: (error: unknown) => `Backlog alert check failed, will try again: ${describeError(error)}`,
  alertListenerFailed: (alert: string, error: unknown) => `A listener of ${alert} threw; ignored: ${describeError(error)}`,
};

export function describeError(error: unknown): string {
  return printable(error instanceof Error ? error.message : String(error));
}
