#!/usr/bin/env node
import { constants, createWriteStream, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { readSearch, SEARCH_FIELDS } from '../console/console-search.params';
import { DEFAULT_REPROCESS_RATE_PER_SECOND } from '../dispatch/sms-event.reprocessor';
import { InvalidReprocessRequestError } from '../errors/invalid-reprocess-request.error';
import type { SmsEventFilter } from '../inbox/sms-event.queries';
import { printable } from '../internal/printable';
import type { SignatureScheme } from '../opensms-webhook-options.interface';
import { readableDuration } from '../internal/duration';
import { backlogOf } from '../inbox/sms-event-state';
import { type InboxConnection, withInbox } from './inbox.command';
import { type QueueLocation, withQueue } from './queue.command';
import { EXPORT_REDACTIONS, type ExportRedaction, exportEvents } from './export.command';
import { reprocessFromCli } from './reprocess.command';
import { type SentLine, sendExportedEvents } from './send.command';
import { sendTestEvent } from './send-test.command';
import { describeUrl, isLoopbackHost } from './url';

/** Where the CLI writes; replaceable in tests. */
export interface CliOutput {
  log(line: string): void;
  error(line: string): void;
  /** Where `export` writes its events when no `--out` is given. @default process.stdout */
  data?: Writable;
}

/** Environment variables read when the matching option is not given (argv is visible in `ps`). */
export const CLI_ENVIRONMENT = {
  secret: 'OPENSMS_WEBHOOK_SECRET',
  'database-url': 'DATABASE_URL',
  'redis-url': 'REDIS_URL',
  'queue-backend': 'OPENSMS_QUEUE_BACKEND',
  'queue-prefix': 'OPENSMS_QUEUE_PREFIX',
  'queue-schema': 'OPENSMS_QUEUE_SCHEMA',
  'queue-database-url': 'OPENSMS_QUEUE_DATABASE_URL',
} as const;

/** The Redis of the queue when neither `--redis-url` nor `REDIS_URL` is given (the module's default). */
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const USAGE = `Usage: opensms-webhook <command> [options]

Commands:
  send-test   Sign one test event as OpenSMS does and POST it to --url (redirects are not followed)
              --url <url> [--secret <secret>] [--event sms.delivered|sms.failed|sms.pending|<other>]
              [--message-id <id>] [--phone <E.164>] [--status <status>] [--error <text>]
              [--scheme standard-webhooks|stripe] [--header <stripe signature header>]
              --secret whsec_… (or raw) signs v1 (HMAC); --secret whsk_… signs v1a (Ed25519)
  export      Write inbox events as NDJSON, one per line, oldest first: payload, kept headers (never a
              signature), received time, state, event type, message id, tenant
              [--database-url <url>] [--schema <schema>] [--out <file>] (default: stdout)
              [--state <state>] [--event <type>] [--message-id <id>] [--phone <E.164>] [--tenant <tenant>]
              [--after <time>] [--before <time>] (received, UTC: 2025-11-30T14:05 or ISO 8601)
              [--redact phone] (each number replaced by a stand-in, the same one throughout the file)
  send        Sign each event of an export again with --secret and POST them to --url, one at a time in
              file order; prints the answers by status and each non-2xx with its line and event id
              --file <events.ndjson> --url <url> --secret <local secret> [--rate <per second>] (default 10)
              [--scheme standard-webhooks|stripe] [--header <stripe signature header>]
              --secret must be given: send never reads OPENSMS_WEBHOOK_SECRET.
  dead        List dead events (retries exhausted)
              [--database-url <url>] [--schema <schema>] [--limit <n>]
  replay      Run dead events again (the application's workers process them)
              [--database-url <url>] [--schema <schema>] (--id <inbox id> | --all-dead)
              Needs only the database: the workers' relays queue the reopened events.
  reprocess   Run handlers again over finished events (processed, ignored, dead): after fixing a handler,
              or to backfill a new one; prints the plan, then its progress (the application's workers
              process the events; Ctrl-C stops the queueing, what was queued is processed)
              [--database-url <url>] [--schema <schema>] [the selection options of export]
              [--handler <Class.method>]... (repeatable; default: every handler of each event)
              [--dry-run] (print the plan: events by type, each handler's "completed before"; change nothing)
              [--rate <events per second>] (default ${DEFAULT_REPROCESS_RATE_PER_SECOND})
              Handler names cannot be checked here: a misspelt one clears nothing and runs nothing (the
              events end as they were); check its "completed before" in the dry run first.
              Needs only the database, as replay does.
  pause       Stop the workers of every process from taking events (ingest still stores them)
              [queue options]
  resume      Let the workers take events again
              [queue options]
  status      Counts by state, age of the oldest unfinished event, whether processing is paused
              [--database-url <url>] [--schema <schema>] [queue options]

Queue options (as the application's module options):
  --queue-backend redis|postgres   default redis
  --redis-url <url>                redis backend, default ${DEFAULT_REDIS_URL} (rediss:// for TLS)
  --redis-ca <file>                rediss://: PEM of the CA that signed the server's certificate (tls: { ca })
  --redis-cluster                  --redis-url is a node of a Redis Cluster (queue.cluster); the prefix needs a
                                   hash tag, e.g. --queue-prefix '{opensms}'
  --queue-prefix <prefix>          redis backend (queue.prefix), default bull
  --queue-schema <schema>          postgres backend (queue.postgres.schema), default bullmq
  --queue-database-url <url>       postgres backend (queue.postgres.connectionString), default --database-url;
                                   give it when --database-url goes through a pooler in transaction mode
  --queue-name <name>              queueName, default opensms-webhooks

Environment (used when the option is not given; prefer it for secrets, argv is visible in ps):
  OPENSMS_WEBHOOK_SECRET  --secret         (the first one of a comma-separated list)
  DATABASE_URL            --database-url   postgres://user:password@host:5432/database
  REDIS_URL               --redis-url
  OPENSMS_QUEUE_BACKEND   --queue-backend
  OPENSMS_QUEUE_PREFIX    --queue-prefix
  OPENSMS_QUEUE_SCHEMA    --queue-schema
  OPENSMS_QUEUE_DATABASE_URL  --queue-database-url
`;

const OPTIONS = {
  url: { type: 'string' },
  secret: { type: 'string' },
  event: { type: 'string' },
  'message-id': { type: 'string' },
  phone: { type: 'string' },
  status: { type: 'string' },
  error: { type: 'string' },
  scheme: { type: 'string' },
  header: { type: 'string' },
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  state: { type: 'string' },
  tenant: { type: 'string' },
  after: { type: 'string' },
  before: { type: 'string' },
  out: { type: 'string' },
  redact: { type: 'string', multiple: true },
  handler: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  file: { type: 'string' },
  rate: { type: 'string' },
  limit: { type: 'string' },
  id: { type: 'string' },
  'all-dead': { type: 'boolean' },
  'redis-url': { type: 'string' },
  'redis-ca': { type: 'string' },
  'redis-cluster': { type: 'boolean' },
  'queue-backend': { type: 'string' },
  'queue-prefix': { type: 'string' },
  'queue-schema': { type: 'string' },
  'queue-database-url': { type: 'string' },
  'queue-name': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** The selection option (`export`, `reprocess`) for each field of the console's search. */
const SEARCH_OPTIONS = {
  messageId: 'message-id',
  phone: 'phone',
  event: 'event',
  state: 'state',
  tenant: 'tenant',
  after: 'after',
  before: 'before',
} as const satisfies Record<(typeof SEARCH_FIELDS)[number], keyof typeof OPTIONS>;

/** Calls per second of `send` when `--rate` is not given. */
const DEFAULT_SEND_RATE = 10;

/** A command line that cannot run; the message says what is missing. */
class UsageError extends Error {}

/**
 * Runs the `opensms-webhook` command line with `args` (without `node` and the script) and
 * resolves the process exit code: 0 on success, 1 on a failed operation, an unreachable server or
 * a non-2xx answer, 2 on a usage error. Every line printed has its control characters escaped.
 */
export async function runCli(
  args: readonly string[],
  output: CliOutput = console,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const out = escapedOutput(output);
  try {
    const parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    const values = withEnvironment(parsed.values, environment);
    const [command] = parsed.positionals;
    if (values.help || !command) {
      printUsage(out.log);
      return values.help ? 0 : 2;
    }
    switch (command) {
      case 'send-test':
        return await sendTest(values, out);
      case 'export':
        return await exportInbox(values, out, output.data ?? process.stdout);
      case 'send':
        // NOTE: the secret as given on this command line only, never the environment's (which may be production's).
        return await send({ ...values, secret: parsed.values.secret }, out);
      case 'dead':
        return await listDead(values, out);
      case 'replay':
        return await replay(values, out);
      case 'reprocess':
        return await reprocess(values, out);
      case 'pause':
        return await withQueue(queueLocation(values), async (queue) => {
          await queue.pause();
          out.log('Processing paused: workers take no new events; events are still received and stored.');
          return 0;
        });
      case 'resume':
        return await withQueue(queueLocation(values), async (queue) => {
          await queue.resume();
          out.log('Processing resumed.');
          return 0;
        });
      case 'status':
        return await status(values, out);
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      out.error((error as Error).message);
      printUsage(out.error);
      return 2;
    }
    out.error(`opensms-webhook: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

function escapedOutput(output: CliOutput): CliOutput {
  return { log: (line) => output.log(printable(line)), error: (line) => output.error(printable(line)) };
}

function printUsage(print: (line: string) => void): void {
  USAGE.trimEnd()
    .split('\n')
    .forEach((line) => print(line));
}

function withEnvironment(values: CliValues, environment: NodeJS.ProcessEnv): CliValues {
  const filled: CliValues = { ...values };
  for (const [option, variable] of Object.entries(CLI_ENVIRONMENT) as [keyof typeof CLI_ENVIRONMENT, string][]) {
    filled[option] ??= environment[variable] || undefined;
  }
  // NOTE: the application reads OPENSMS_WEBHOOK_SECRET as a comma-separated list; its first signs.
  if (values.secret === undefined) filled.secret = filled.secret?.split(',')[0].trim();
  return filled;
}

async function sendTest(values: CliValues, output: CliOutput): Promise<number> {
  const url = webhookUrl(values.url, 'send-test', output);
  const secret = required(values.secret, '--secret');
  const result = await sendTestEvent({
    url: url.href,
    secret,
    event: values.event,
    messageId: values['message-id'],
    phone: values.phone,
    status: values.status,
    error: values.error,
    scheme: signatureScheme(values),
    header: values.header,
  });
  output.log(`Sent ${String(result.payload.event)} for ${String(result.payload.message_id)} to ${describeUrl(url)}`);
  output.log(`HTTP ${result.status}`);
  if (result.location !== undefined) {
    output.log(`Redirect to ${redirectTarget(result.location, url)} not followed: send-test posts only to --url`);
  }
  output.log(result.body);
  return isSuccess(result.status) ? 0 : 1;
}

/** The events the selection options name, read as the console reads its search form. */
function selectedEvents(values: CliValues): SmsEventFilter {
  const search = readSearch(Object.fromEntries(SEARCH_FIELDS.map((field) => [field, values[SEARCH_OPTIONS[field]]])));
  if (search.problems.length > 0) throw new UsageError(`Cannot select events: ${search.problems.join('; ')}`);
  return search.filter;
}

/** `--rate` as a number per second above 0; `undefined` when not given. */
function ratePerSecond(values: CliValues): number | undefined {
  if (values.rate === undefined) return undefined;
  const rate = Number(values.rate);
  if (!(rate > 0) || !Number.isFinite(rate)) throw new UsageError(`--rate must be a number per second above 0 (got "${values.rate}")`);
  return rate;
}

async function exportInbox(values: CliValues, output: CliOutput, stdout: Writable): Promise<number> {
  const filter = selectedEvents(values);
  const redact = (values.redact ?? []).map((what) => {
    if (!(EXPORT_REDACTIONS as readonly string[]).includes(what)) {
      throw new UsageError(`--redact takes ${EXPORT_REDACTIONS.join(', ')} (got "${what}")`);
    }
    return what as ExportRedaction;
  });
  const connection = inboxConnection(values);
  // NOTE: the file only once the database answered, readable by its owner only: it holds personal data.
  const count = await withInbox(connection, async ({ queries }) => {
    const out = values.out === undefined ? stdout : createWriteStream(values.out, { mode: 0o600 });
    const written = await exportEvents(queries, filter, out, redact);
    if (out !== stdout) await finished(out.end());
    return written;
  });
  const where = values.out === undefined ? 'stdout' : values.out;
  // NOTE: on stderr when the events go to stdout, so that the NDJSON stays NDJSON.
  (values.out === undefined ? output.error : output.log)(
    `Exported ${count} event(s) to ${where}${redact.length > 0 ? ` (redacted: ${redact.join(', ')})` : ''}`,
  );
  return 0;
}

async function send(values: CliValues, output: CliOutput): Promise<number> {
  const file = required(values.file, '--file');
  const url = webhookUrl(values.url, 'send', output);
  if (!values.secret) {
    throw new UsageError(
      "send needs --secret <secret of the receiving app>: it signs the events again and never reads OPENSMS_WEBHOOK_SECRET, which may be production's",
    );
  }
  const rate = ratePerSecond(values) ?? DEFAULT_SEND_RATE;
  await access(file, constants.R_OK).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Cannot read --file ${file}: ${error.code ?? error.message}`);
  });
  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const report = (sent: SentLine) => {
    if ('unsent' in sent) {
      count('not sent');
      output.error(`line ${sent.line}${sent.id === undefined ? '' : ` (event ${sent.id})`}: not sent: ${sent.unsent}`);
      return;
    }
    count(`HTTP ${sent.answer.status}`);
    if (isSuccess(sent.answer.status)) return;
    const redirect = sent.answer.location === undefined ? '' : ` (redirect to ${redirectTarget(sent.answer.location, url)} not followed)`;
    output.error(
      `line ${sent.line} (event ${sent.id}, ${sent.event}): HTTP ${sent.answer.status}${redirect} ${sent.answer.body.slice(0, 500)}`,
    );
  };
  let stopped: Error | undefined;
  try {
    await sendExportedEvents(
      { file, url: url.href, secret: values.secret, rate, scheme: signatureScheme(values), header: values.header },
      report,
    );
  } catch (error) {
    stopped = error as Error;
  }
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  output.log(`${total} line(s) of ${file} to ${describeUrl(url)}:`);
  for (const [key, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) output.log(`${key.padEnd(10)} ${n}`);
  if (stopped) throw stopped;
  return [...counts.keys()].every((key) => /^HTTP 2\d\d$/.test(key)) ? 0 : 1;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function signatureScheme(values: CliValues): SignatureScheme {
  const scheme = values.scheme ?? 'standard-webhooks';
  if (scheme !== 'standard-webhooks' && scheme !== 'stripe') {
    throw new UsageError(`--scheme must be standard-webhooks or stripe (got "${scheme}")`);
  }
  return scheme;
}

/**
 * `--url` of a command that posts signed calls ({@link endpointUrl}), with a warning on stderr when
 * it goes unencrypted to another machine.
 */
function webhookUrl(given: string | undefined, command: string, output: CliOutput): URL {
  const url = endpointUrl(required(given, '--url'), command);
  if (url.protocol === 'http:' && !isLoopbackHost(url)) {
    output.error(
      `Warning: ${describeUrl(url)} is not encrypted (http:// to another machine): the signed event and its headers ` +
        'cross the network readable by anyone on the way; use https://',
    );
  }
  return url;
}

/** `--url` as a URL `command` can post to: http(s), without credentials (which are never printed). */
function endpointUrl(given: string, command: string): URL {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError('--url must be a URL, e.g. http://localhost:3000/webhooks/sms');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be an http:// or https:// URL (got ${printable(url.protocol)})`);
  }
  if (url.username || url.password) {
    // NOTE: not a UsageError: the usage printed after one names a password, and nothing of the given one may be printed.
    throw new Error(`--url must not contain credentials (got ${describeUrl(url)}): ${command} sends only the signed call`);
  }
  return url;
}

/** Where a redirect points, as safe to print: resolved against the URL posted to, without credentials or query. */
function redirectTarget(location: string, base: URL): string {
  try {
    return printable(describeUrl(new URL(location, base)));
  } catch {
    return 'a Location that is not a URL';
  }
}

async function listDead(values: CliValues, output: CliOutput): Promise<number> {
  const limit = Number(values.limit ?? 100);
  const dead = await withInbox(inboxConnection(values), ({ queries }) => queries.find({ state: 'dead', limit }));
  if (dead.length === 0) {
    output.log('No dead events.');
    return 0;
  }
  for (const row of dead) {
    output.log([row.id, row.event, row.messageId ?? '-', `attempts=${row.attempts}`, row.lastError ?? ''].join('  '));
  }
  output.log(`${dead.length} dead event(s). Replay with: opensms-webhook replay --id <id> | --all-dead`);
  return 0;
}

async function replay(values: CliValues, output: CliOutput): Promise<number> {
  if (Boolean(values.id) === Boolean(values['all-dead'])) throw new UsageError('replay needs exactly one of --id <id> or --all-dead');
  const replayed = await withInbox(inboxConnection(values), async (inbox) => {
    const service = await inbox.service();
    return values.id ? ((await service.replay(values.id)) ? [values.id] : []) : service.replayDead();
  });
  if (values.id && replayed.length === 0) {
    output.error(`Event ${values.id} is not dead or failed (or does not exist); nothing replayed.`);
    return 1;
  }
  output.log(`Replayed ${replayed.length} event(s)${replayed.length > 0 ? `: ${replayed.join(', ')}` : ''}`);
  return 0;
}

async function reprocess(values: CliValues, output: CliOutput): Promise<number> {
  const request = {
    filter: selectedEvents(values),
    handlers: values.handler,
    dryRun: values['dry-run'] === true,
    ratePerSecond: ratePerSecond(values),
  };
  const result = await withInbox(inboxConnection(values), async (inbox) => {
    try {
      return await reprocessFromCli(await inbox.service(), request, output.log, (cancel) => {
        const onInterrupt = () => {
          output.error('Interrupted: queueing no further event.');
          cancel();
        };
        process.once('SIGINT', onInterrupt);
        return () => process.off('SIGINT', onInterrupt);
      });
    } catch (error) {
      if (error instanceof InvalidReprocessRequestError) throw new UsageError(`Cannot reprocess: ${error.problems.join('; ')}`);
      throw error;
    }
  });
  if (request.dryRun) return 0;
  const queued = `${result.queued} of ${result.plan.events} event(s) queued again`;
  if (result.cancelled) {
    output.error(`Reprocessing cancelled: ${queued}; the others are as they were.`);
    return 1;
  }
  if (result.plan.events > 0) output.log(`Reprocessing queued: ${queued}; the application's workers process them.`);
  return 0;
}

async function status(values: CliValues, output: CliOutput): Promise<number> {
  const [counts, oldest] = await withInbox(inboxConnection(values), ({ queries }) =>
    Promise.all([queries.countByState(), queries.oldestUnfinishedReceivedAt()]),
  );
  const paused = await withQueue(queueLocation(values), (queue) => queue.isPaused());
  for (const [state, count] of Object.entries(counts)) output.log(`${state.padEnd(10)} ${count}`);
  const backlog = backlogOf(counts);
  output.log(`backlog    ${backlog}${oldest ? `, oldest unfinished ${readableDuration(Date.now() - oldest.getTime())} old` : ''}`);
  output.log(paused ? 'processing paused (resume with: opensms-webhook resume)' : 'processing running');
  return 0;
}

function queueLocation(values: CliValues): QueueLocation {
  const backend = values['queue-backend'] ?? 'redis';
  const queueName = values['queue-name'];
  if (backend === 'redis') {
    const redisUrl = values['redis-url'] ?? DEFAULT_REDIS_URL;
    return {
      backend,
      redisUrl,
      cluster: values['redis-cluster'],
      ca: redisCa(values['redis-ca'], redisUrl),
      prefix: values['queue-prefix'],
      queueName,
    };
  }
  if (backend === 'postgres') {
    const databaseUrl = values['queue-database-url'] ?? required(values['database-url'], '--database-url');
    return { backend, databaseUrl, schema: values['queue-schema'], queueName };
  }
  throw new UsageError(`--queue-backend must be redis or postgres (got "${backend}")`);
}

/** The contents of `--redis-ca`, which only a TLS (`rediss://`) URL uses. */
function redisCa(file: string | undefined, redisUrl: string): Buffer | undefined {
  if (file === undefined) return undefined;
  if (!redisUrl.startsWith('rediss://')) throw new UsageError('--redis-ca is the CA of a TLS server: give a rediss:// --redis-url');
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`Cannot read --redis-ca ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      cause: error,
    });
  }
}

function inboxConnection(values: CliValues): InboxConnection {
  return {
    databaseUrl: required(values['database-url'], '--database-url'),
    schema: values.schema,
  };
}

function required(value: string | undefined, flag: string): string {
  if (value) return value;
  const variable: string | undefined = CLI_ENVIRONMENT[flag.slice(2) as keyof typeof CLI_ENVIRONMENT];
  throw new UsageError(`${flag} is required${variable ? ` (or set ${variable})` : ''}`);
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
