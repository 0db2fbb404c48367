import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService, SMS_EVENT_STATES } from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { DataSource } from 'typeorm';
import { createExampleApp } from '../app.factory';
import { type RawEnvironment, validateAppConfig } from '../config/app.config';
import { resolveDevServers } from '../dev-database/dev-servers.resolver';
import type { SmsMessageView } from '../messages/sms-message.view';
import { formatTable } from './demo-table';

/** Secret of the demo when `OPENSMS_WEBHOOK_SECRET` is not set. */
const DEMO_SECRET = 'whsec_b3BlbnNtcy1kZW1vLXNpZ25pbmctc2VjcmV0LTAwMA==';
/** The whole demo must end within this time. */
const DEMO_DEADLINE_MS = 55_000;
const PHONE = '+254712345678';

/** The state each demo message must end in, with the number of history entries (and how many applied). */
const EXPECTED_MESSAGES = [
  { messageId: 'msg_demo_delivered', status: 'delivered', history: 1, applied: 1 },
  { messageId: 'msg_demo_failed', status: 'failed', history: 1, applied: 1 },
  { messageId: 'msg_demo_pending_then_delivered', status: 'delivered', history: 2, applied: 2 },
  { messageId: 'msg_demo_late_pending', status: 'delivered', history: 2, applied: 1 },
] as const;
/** Valid, non-duplicate events of the story: all must end `processed`. */
const EXPECTED_PROCESSED = 6;

/** A demo run: the app, the endpoint, and every deviation from the expected story. */
class DemoRun {
  readonly problems: string[] = [];

  constructor(
    readonly app: INestApplication,
    readonly baseUrl: string,
    private readonly secret: string,
  ) {}

  /** Signs (with `secret`, by default the app's) and sends one event; checks the answer's status. */
  async send(
    title: string,
    payload: Record<string, unknown>,
    expected: { status: number; duplicate?: boolean; secret?: string },
  ): Promise<string | undefined> {
    const signed = signWebhook(payload, expected.secret ?? this.secret);
    const response = await fetch(`${this.baseUrl}/webhooks/sms`, { method: 'POST', headers: signed.headers, body: signed.body });
    const body = (await response.json()) as { id?: string; duplicate?: boolean; message?: string };
    const summary =
      response.status === 200
        ? `200 ${body.duplicate ? 'duplicate, not processed again' : 'stored'}`
        : `${response.status} ${body.message}`;
    console.log(`  ${title.padEnd(56)} → ${summary}`);
    if (response.status !== expected.status) this.problems.push(`${title}: HTTP ${response.status}, expected ${expected.status}`);
    if (expected.duplicate !== undefined && body.duplicate !== expected.duplicate) {
      this.problems.push(`${title}: duplicate=${body.duplicate}, expected ${expected.duplicate}`);
    }
    return body.id;
  }

  /** Waits, showing progress, until `done` holds; records a problem on timeout. */
  async waitUntil(what: string, done: () => Promise<{ finished: boolean; progress: string }>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const interactive = process.stdout.isTTY;
    let last = '';
    for (;;) {
      const { finished, progress } = await done();
      if (progress !== last) {
        if (interactive) process.stdout.write(`\r  ${what}: ${progress}   `);
        else console.log(`  ${what}: ${progress}`);
        last = progress;
      }
      if (finished) break;
      if (Date.now() > deadline) {
        this.problems.push(`${what}: not finished after ${timeoutMs} ms (${progress})`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (interactive) process.stdout.write('\n');
  }

  get inbox(): OpenSmsWebhookService {
    return this.app.get(OpenSmsWebhookService);
  }

  async message(messageId: string): Promise<SmsMessageView | null> {
    const response = await fetch(`${this.baseUrl}/messages/${messageId}`);
    return response.status === 200 ? ((await response.json()) as SmsMessageView) : null;
  }
}

/** The scripted story: every case the receiver handles, as OpenSMS would send it. */
async function tellStory(run: DemoRun): Promise<void> {
  const event = (name: string, messageId: string, timestamp: string, extra: Record<string, unknown> = {}) => ({
    event: name,
    message_id: messageId,
    phone: PHONE,
    status: name.slice('sms.'.length),
    timestamp,
    ...extra,
  });

  console.log('\nSending signed OpenSMS events:');
  await run.send('sms.delivered   msg_demo_delivered', event('sms.delivered', 'msg_demo_delivered', '2024-01-13T12:00:00Z'), {
    status: 200,
    duplicate: false,
  });
  await run.send(
    'sms.failed      msg_demo_failed ("Invalid phone number")',
    event('sms.failed', 'msg_demo_failed', '2024-01-13T12:00:00Z', { error: 'Invalid phone number' }),
    { status: 200, duplicate: false },
  );
  // NOTE: OpenSMS reports a delivery seconds after its pending; sent within the same millisecond,
  // either could take the message's lock first, and the pending would rightly be recorded as stale.
  const pendingId = await run.send(
    'sms.pending     msg_demo_pending_then_delivered',
    event('sms.pending', 'msg_demo_pending_then_delivered', '2024-01-13T12:00:00Z'),
    { status: 200 },
  );
  await waitUntilProcessed(run, 'waiting for the pending event to be processed', pendingId);
  await run.send(
    'sms.delivered   msg_demo_pending_then_delivered',
    event('sms.delivered', 'msg_demo_pending_then_delivered', '2024-01-13T12:00:30Z'),
    { status: 200 },
  );
  await run.send('sms.delivered   msg_demo_delivered (sent again)', event('sms.delivered', 'msg_demo_delivered', '2024-01-13T12:00:00Z'), {
    status: 200,
    duplicate: true,
  });

  const deliveredId = await run.send(
    'sms.delivered   msg_demo_late_pending',
    event('sms.delivered', 'msg_demo_late_pending', '2024-01-13T12:01:00Z'),
    { status: 200 },
  );
  await waitUntilProcessed(run, 'waiting for the delivery to be processed', deliveredId);
  await run.send(
    'sms.pending     msg_demo_late_pending (arrives late)',
    event('sms.pending', 'msg_demo_late_pending', '2024-01-13T12:00:10Z'),
    { status: 200 },
  );
  await run.send('sms.delivered   msg_demo_forged (wrong secret)', event('sms.delivered', 'msg_demo_forged', '2024-01-13T12:00:00Z'), {
    status: 401,
    secret: 'whsec_d3Jvbmctc2VjcmV0LW9mLWFuLWF0dGFja2Vy',
  });

  console.log('\nProcessing:');
  await run.waitUntil('events processed', async () => {
    const counts = await run.inbox.countByState();
    const open = counts.received + counts.processing + counts.failed;
    return { finished: open === 0, progress: `${counts.processed}/${EXPECTED_PROCESSED} processed, ${open} still open` };
  });
}

/** Waits until the event of a stored call is processed (at once when the call was not stored). */
async function waitUntilProcessed(run: DemoRun, label: string, eventId: string | undefined): Promise<void> {
  await run.waitUntil(label, async () => {
    const state = eventId ? (await run.inbox.findById(eventId))?.state : 'missing';
    return { finished: state === 'processed' || !eventId, progress: String(state) };
  });
}

/** Prints the messages and inbox states, and checks them against the story. */
async function report(run: DemoRun): Promise<void> {
  const messages = await Promise.all(EXPECTED_MESSAGES.map(({ messageId }) => run.message(messageId)));
  console.log('\nMessages (GET /messages/:messageId):\n');
  console.log(
    formatTable(
      ['message', 'status', 'error', 'history (event@time, * = recorded only)'],
      EXPECTED_MESSAGES.map(({ messageId }, index) => {
        const message = messages[index];
        const history = message?.history
          .map((entry) => `${entry.event}@${entry.timestamp.slice(11, 19)}${entry.applied ? '' : '*'}`)
          .join(', ');
        return [messageId, message?.status ?? '(missing)', message?.error, history];
      }),
    ),
  );

  const counts = await run.inbox.countByState();
  console.log('\nInbox (OpenSmsWebhookService.countByState):\n');
  console.log(
    formatTable(
      ['state', 'events'],
      SMS_EVENT_STATES.map((state) => [state, counts[state]]),
    ),
  );

  EXPECTED_MESSAGES.forEach((expected, index) => {
    const message = messages[index];
    const applied = message?.history.filter((entry) => entry.applied).length;
    if (message?.status !== expected.status || message.history.length !== expected.history || applied !== expected.applied) {
      run.problems.push(
        `${expected.messageId}: status ${message?.status}, ${message?.history.length} history entries (${applied} applied); ` +
          `expected ${expected.status}, ${expected.history} (${expected.applied} applied)`,
      );
    }
  });
  const unexpected = SMS_EVENT_STATES.filter((state) => state !== 'processed' && counts[state] > 0);
  if (counts.processed !== EXPECTED_PROCESSED || unexpected.length > 0) {
    run.problems.push(`inbox: ${JSON.stringify(counts)}, expected ${EXPECTED_PROCESSED} processed and nothing else`);
  }
}

/** Gives the demo schemas of its own (tables, and jobs on the PostgreSQL backend), emptied at each run and left for inspection. */
async function recreateSchemas(databaseUrl: string, schemas: readonly string[]): Promise<void> {
  const admin = new DataSource({ type: 'postgres', url: databaseUrl });
  await admin.initialize();
  try {
    for (const schema of schemas) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
      await admin.query(`CREATE SCHEMA "${schema.replace(/"/g, '""')}"`);
    }
  } finally {
    await admin.destroy();
  }
}

/**
 * Starts the example app on a free port, sends the story, prints the resulting states and stops.
 * `processEnvironment` must name the servers to use (see `resolveDevServers`). Resolves the exit
 * code: 0 when every state is as expected.
 */
export async function runDemo(processEnvironment: RawEnvironment, onStarted?: (app: INestApplication) => void): Promise<number> {
  const schema = processEnvironment.DEMO_SCHEMA || 'opensms_demo';
  const environment: RawEnvironment = {
    ...processEnvironment,
    PORT: '0',
    OPENSMS_WEBHOOK_SECRET: processEnvironment.OPENSMS_WEBHOOK_SECRET || DEMO_SECRET,
    DATABASE_SCHEMA: schema,
    OPENSMS_QUEUE_PREFIX: processEnvironment.DEMO_QUEUE_PREFIX || 'opensms-demo',
    OPENSMS_QUEUE_SCHEMA: `${schema}_queue`,
  };
  const config = validateAppConfig(environment);
  const schemas = config.OPENSMS_QUEUE_BACKEND === 'postgres' ? [schema, config.OPENSMS_QUEUE_SCHEMA] : [schema];
  console.log(`Schemas ${schemas.map((name) => `"${name}"`).join(' and ')} (recreated), ${config.HTTP_ADAPTER}`);
  await recreateSchemas(config.DATABASE_URL, schemas);

  const { app } = await createExampleApp({ environment, logger: ['error'], shutdownHooks: false });
  onStarted?.(app);
  try {
    await app.listen(0, '127.0.0.1');
    const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    console.log(`Example app listening on ${baseUrl}`);
    const run = new DemoRun(app, baseUrl, config.OPENSMS_WEBHOOK_SECRET[0]);
    await tellStory(run);
    await report(run);
    if (run.problems.length > 0) {
      console.error(`\nDemo FAILED:\n- ${run.problems.join('\n- ')}`);
      return 1;
    }
    console.log('\nDemo OK: every message ended in its expected state.');
    return 0;
  } finally {
    await app.close();
  }
}

/**
 * `npm run demo [-- --embedded]`: chooses the servers, runs the demo, and stops what it started
 * (the embedded PostgreSQL and its temporary folder) on every way out: the end, a failure, the
 * deadline, Ctrl-C or SIGTERM.
 */
function main(): void {
  const resolving = resolveDevServers({ environment: process.env, argv: process.argv.slice(2), embeddedFolder: { temporary: true } });
  let app: INestApplication | undefined;
  let finishing: Promise<void> | undefined;
  // NOTE: the app closes before its database stops: its queue connections must not see the server go away.
  const finish = (code: number) => {
    finishing ??= resolving
      .then(
        async (servers) => {
          await app?.close().catch(() => undefined);
          await servers.stop();
        },
        () => undefined,
      )
      .finally(() => process.exit(code));
  };
  const deadline = setTimeout(() => {
    console.error(`Demo FAILED: not finished within ${DEMO_DEADLINE_MS / 1000} s`);
    finish(1);
  }, DEMO_DEADLINE_MS);
  deadline.unref();
  process.once('SIGINT', () => {
    console.error('\nDemo interrupted: stopping.');
    finish(130);
  });
  process.once('SIGTERM', () => finish(143));
  resolving
    .then((servers) => {
      console.log(servers.summary);
      return runDemo(servers.environment, (started) => (app = started));
    })
    .then(finish, (error: unknown) => {
      // NOTE: once stopping (Ctrl-C, deadline), errors of the closing database are expected.
      if (finishing) return;
      console.error(`Demo FAILED: ${error instanceof Error ? error.message : String(error)}`);
      finish(1);
    });
}

if (require.main === module) main();
