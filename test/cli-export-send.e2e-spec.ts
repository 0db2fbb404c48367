import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Injectable } from '@nestjs/common';
import {
  OnSmsEvent,
  OpenSmsWebhookService,
  type SmsEventContext,
  type SmsEventRecord,
  type SmsDeliveredEvent,
  type SmsFailedEvent,
  type SmsPendingEvent,
  type WebhookSecretResolver,
} from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { UnrecoverableError } from 'bullmq';
import { captureCliOutput, closedPort, recordingServer, runCliProcess } from './support/cli-process';
import { TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { connectToSchema, TEST_DATABASE_URL } from './support/test-database';
import { postRaw, smsPayload } from './support/webhook-client';

/** The receiving app's own secret: `send` signs with it, never with the exporting app's. */
const LOCAL_SECRET = 'whsec_bG9jYWwtc2VjcmV0LW9mLXRoZS1yZWNlaXZlcg==';
/** A secret in the environment that `send` must not use. */
const PRODUCTION_SECRET = 'whsec_cHJvZHVjdGlvbi1zZWNyZXQtbmV2ZXItdXNlZA==';

const FINISHED_STATES = ['processed', 'ignored', 'dead', 'invalid'];

/**
 * Records each handled event (`<message> <type>`) and, as a host keeps a message's status, the
 * latest status of each message: a stale event (`ctx.stale`) is recorded, not applied. A `failed`
 * event of a `msg_poison…` message ends dead.
 */
@Injectable()
class StoryRecorder {
  readonly calls: string[] = [];
  readonly statuses: Record<string, string> = {};

  @OnSmsEvent('pending', 'delivered', 'failed')
  onStatus(event: SmsPendingEvent | SmsDeliveredEvent | SmsFailedEvent, context: SmsEventContext): void {
    if (event.type === 'failed' && event.messageId.startsWith('msg_poison')) throw new UnrecoverableError('poisoned message');
    this.calls.push(`${event.messageId} ${event.type}`);
    if (!context.stale) this.statuses[event.messageId] = event.type;
  }
}

/** Each call's tenant from its `x-tenant` header (`globex` without one), every tenant on the test secret. */
const secretResolver = ((headers: Record<string, unknown>) => ({
  tenant: typeof headers['x-tenant'] === 'string' ? headers['x-tenant'] : 'globex',
  secrets: TEST_SECRET,
})) as unknown as WebhookSecretResolver;

/** The stories sent to the exporting app, in order; each ends in one of the final states. */
const STORY: { tenant: string; fields: Record<string, unknown> }[] = [
  { tenant: 'acme', fields: { event: 'sms.pending', message_id: 'msg_exp_a', phone: '+254711000001', timestamp: '2026-01-01T10:00:00Z' } },
  {
    tenant: 'globex',
    fields: { event: 'sms.pending', message_id: 'msg_exp_b', phone: '+254711000002', timestamp: '2026-01-01T10:00:01Z' },
  },
  { tenant: 'acme', fields: { event: 'sms.queued', message_id: 'msg_exp_a', phone: '+254711000001', timestamp: '2026-01-01T10:00:02Z' } },
  {
    tenant: 'acme',
    fields: { event: 'sms.delivered', message_id: 'msg_exp_a', phone: '+254711000001', timestamp: '2026-01-01T10:00:03Z' },
  },
  {
    tenant: 'globex',
    fields: {
      event: 'sms.failed',
      message_id: 'msg_exp_b',
      phone: '+254711000002',
      error: 'Absent subscriber',
      timestamp: '2026-01-01T10:00:04Z',
    },
  },
  {
    tenant: 'acme',
    fields: { event: 'sms.pending', message_id: 'msg_poison_c', phone: '+447700900123', timestamp: '2026-01-01T10:00:05Z' },
  },
  {
    tenant: 'acme',
    fields: { event: 'sms.delivered', message_id: 'msg_exp_bad', phone: '0711 000 003', timestamp: '2026-01-01T10:00:06Z' },
  },
  {
    tenant: 'acme',
    fields: {
      event: 'sms.failed',
      message_id: 'msg_poison_c',
      phone: '+447700900123',
      error: 'Blocked',
      timestamp: '2026-01-01T10:00:07Z',
    },
  },
  {
    tenant: 'globex',
    fields: { event: 'sms.pending', message_id: 'msg_exp_d', phone: '+254711000001', timestamp: '2026-01-01T10:00:08Z' },
  },
  {
    tenant: 'globex',
    fields: { event: 'sms.delivered', message_id: 'msg_exp_d', phone: '+254711000001', timestamp: '2026-01-01T10:00:09Z' },
  },
];

/** What a test compares of an inbox: each event's type, message and final state, in the order received. */
function storyOf(records: readonly SmsEventRecord[]): string[] {
  return [...records]
    .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id.localeCompare(b.id))
    .map((record) => `${record.event} ${record.messageId} ${record.state}`);
}

function exportedLines(file: string): Record<string, any>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

describe('export and send: production traffic replayed into a local app', () => {
  const source = useTestApp('export-source', {
    providers: [StoryRecorder],
    options: { secret: undefined, tenants: { secretResolver }, job: { attempts: 1 } },
  });
  const target = useTestApp('export-target', { providers: [StoryRecorder], options: { secret: LOCAL_SECRET, job: { attempts: 1 } } });
  const database = { DATABASE_URL: TEST_DATABASE_URL };
  const directory = mkdtempSync(path.join(tmpdir(), 'opensms-export-'));
  const file = (name: string) => path.join(directory, name);
  let sourceRecords: SmsEventRecord[];
  let exportOutput: ReturnType<typeof captureCliOutput>;

  const allRecords = (app: typeof source) => app.app.get(OpenSmsWebhookService).find({ limit: 1000 });

  beforeAll(async () => {
    const service = source.app.get(OpenSmsWebhookService);
    for (const [index, { tenant, fields }] of STORY.entries()) {
      const signed = signWebhook(smsPayload(fields), TEST_SECRET);
      const response = await postRaw(source.endpoint, signed.body, { ...signed.headers, 'x-tenant': tenant });
      expect([200, 400]).toContain(response.status);
      // NOTE: one event at a time, so that the exporting app's story has one order to reproduce.
      await waitFor(`${String(fields.event)} of ${String(fields.message_id)} to finish`, async () => {
        const counts = await service.countByState();
        return FINISHED_STATES.reduce((sum, state) => sum + counts[state as keyof typeof counts], 0) === index + 1;
      });
    }
    sourceRecords = await allRecords(source);
    exportOutput = captureCliOutput();
    expect(await runCli(['export', '--schema', source.schema, '--out', file('all.ndjson')], exportOutput, database)).toBe(0);
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('the exporting inbox holds every final state of the story', () => {
    expect(storyOf(sourceRecords)).toEqual([
      'sms.pending msg_exp_a processed',
      'sms.pending msg_exp_b processed',
      'sms.queued msg_exp_a ignored',
      'sms.delivered msg_exp_a processed',
      'sms.failed msg_exp_b processed',
      'sms.pending msg_poison_c processed',
      'sms.delivered null invalid',
      'sms.failed msg_poison_c dead',
      'sms.pending msg_exp_d processed',
      'sms.delivered msg_exp_d processed',
    ]);
  });

  it('export writes every event, oldest first, with its payload, kept headers, state, type, message and tenant, and no signature', async () => {
    expect(exportOutput.lines).toEqual([`Exported 10 event(s) to ${file('all.ndjson')}`]);

    const lines = exportedLines(file('all.ndjson'));
    const byId = new Map(sourceRecords.map((record) => [record.id, record]));
    expect(lines.map((line) => `${line.event} ${line.messageId} ${line.state}`)).toEqual(storyOf(sourceRecords));
    for (const line of lines) {
      const record = byId.get(line.id)!;
      expect(line).toEqual({
        id: record.id,
        event: record.event,
        messageId: record.messageId,
        tenant: record.tenant,
        state: record.state,
        receivedAt: record.receivedAt.toISOString(),
        headers: {
          'webhook-id': expect.stringMatching(/^msg_/),
          'webhook-timestamp': expect.stringMatching(/^\d+$/),
          'content-type': 'application/json',
          'user-agent': expect.any(String),
        },
        payload: record.payload,
      });
    }
    expect(lines.map((line) => line.tenant)).toEqual(STORY.map((call) => call.tenant));
    const text = readFileSync(file('all.ndjson'), 'utf8');
    expect(text).not.toContain('webhook-signature');
    expect(text).not.toContain('v1,');
    expect(text).not.toContain(TEST_SECRET.slice('whsec_'.length));
  });

  it('send replays the export into another app, signed with the local secret, one at a time: same final states in the same order, same handler outcomes', async () => {
    const output = captureCliOutput();
    const code = await runCli(
      ['send', '--file', file('all.ndjson'), '--url', target.endpoint, '--secret', LOCAL_SECRET, '--rate', '50'],
      output,
      { OPENSMS_WEBHOOK_SECRET: PRODUCTION_SECRET },
    );
    const invalid = sourceRecords.find((record) => record.state === 'invalid')!;

    expect(output.errors).toEqual([expect.stringMatching(new RegExp(`^line 7 \\(event ${invalid.id}, sms\\.delivered\\): HTTP 400 `))]);
    expect(output.lines.slice(-3)).toEqual([`10 line(s) of ${file('all.ndjson')} to ${target.endpoint}:`, 'HTTP 200   9', 'HTTP 400   1']);
    expect(code).toBe(1);

    let targetRecords: SmsEventRecord[] = [];
    await waitFor('the replayed events to finish', async () => {
      targetRecords = await allRecords(target);
      return targetRecords.length === STORY.length && targetRecords.every((record) => FINISHED_STATES.includes(record.state));
    });
    expect(storyOf(targetRecords)).toEqual(storyOf(sourceRecords));
    expect(targetRecords.map((record) => record.tenant)).toEqual(STORY.map(() => null));
    // NOTE: the receiver answers each call once it is stored and handles it afterwards, as in production: two events of
    // one message may run in either order, and the later one's handlers see `ctx.stale`. Hence the statuses, not the order of calls.
    const [sent, replayed] = [source, target].map((app) => app.app.get(StoryRecorder));
    expect(replayed.statuses).toEqual(sent.statuses);
    expect(replayed.statuses).toEqual({ msg_exp_a: 'delivered', msg_exp_b: 'failed', msg_poison_c: 'pending', msg_exp_d: 'delivered' });
    expect([...replayed.calls].sort()).toEqual([...sent.calls].sort());
    expect(sent.calls).toHaveLength(7);
  });

  it('send without --secret refuses to run, even with OPENSMS_WEBHOOK_SECRET set, and sends nothing; nor without a readable file', async () => {
    const before = (await allRecords(target)).length;
    const output = captureCliOutput();
    const code = await runCli(['send', '--file', file('all.ndjson'), '--url', target.endpoint], output, {
      OPENSMS_WEBHOOK_SECRET: PRODUCTION_SECRET,
    });

    expect(code).toBe(2);
    expect(output.errors[0]).toBe(
      "send needs --secret <secret of the receiving app>: it signs the events again and never reads OPENSMS_WEBHOOK_SECRET, which may be production's",
    );
    expect((await allRecords(target)).length).toBe(before);

    const missing = captureCliOutput();
    expect(await runCli(['send', '--file', file('missing.ndjson'), '--url', target.endpoint, '--secret', LOCAL_SECRET], missing)).toBe(1);
    expect(missing.errors).toEqual([`opensms-webhook: Cannot read --file ${file('missing.ndjson')}: ENOENT`]);
  });

  it('send posts only to --url, as send-test does: a redirect is reported, not followed; credentials are refused; an unreachable URL stops the run', async () => {
    const other = await recordingServer((response) => response.writeHead(200).end('{"status":"received"}'));
    const redirecting = await recordingServer((response) =>
      response.writeHead(307, { location: `http://127.0.0.1:${other.port}/collect` }).end('moved'),
    );
    const [first] = exportedLines(file('all.ndjson'));
    try {
      const redirected = captureCliOutput();
      const send = (url: string, output: ReturnType<typeof captureCliOutput>) =>
        runCli(['send', '--file', file('all.ndjson'), '--url', url, '--secret', LOCAL_SECRET, '--rate', '1000'], output);

      expect(await send(`http://127.0.0.1:${redirecting.port}/webhooks/sms`, redirected)).toBe(1);
      expect(redirecting.requests).toHaveLength(STORY.length);
      expect(other.requests).toEqual([]);
      expect(redirected.errors[0]).toBe(
        `line 1 (event ${first.id}, sms.pending): HTTP 307 (redirect to http://127.0.0.1:${other.port}/collect not followed) moved`,
      );
      expect(redirected.lines.slice(-1)).toEqual([`HTTP 307   ${STORY.length}`]);

      const port = await closedPort();
      const withCredentials = captureCliOutput();
      expect(await send(`http://user:pass@127.0.0.1:${port}/x`, withCredentials)).toBe(1);
      expect(withCredentials.errors).toEqual([
        `opensms-webhook: --url must not contain credentials (got http://127.0.0.1:${port}/x): send sends only the signed call`,
      ]);

      const unreachable = captureCliOutput();
      expect(await send(`http://127.0.0.1:${port}/x?token=query-secret`, unreachable)).toBe(1);
      expect(unreachable.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^opensms-webhook: line 1 \\(event ${first.id}\\): Cannot reach http://127\\.0\\.0\\.1:${port}/x: .*; this line and the ones after it were not sent$`,
          ),
        ),
      ]);
      expect(unreachable.lines.join('\n')).not.toContain('query-secret');
    } finally {
      await Promise.all([other, redirecting].map(({ server }) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('export --redact phone leaves no phone number in the file; each number keeps one stand-in, made anew for each export', async () => {
    for (const name of ['redacted-1.ndjson', 'redacted-2.ndjson']) {
      expect(
        await runCli(['export', '--schema', source.schema, '--out', file(name), '--redact', 'phone'], captureCliOutput(), database),
      ).toBe(0);
    }
    const text = readFileSync(file('redacted-1.ndjson'), 'utf8');
    for (const { fields } of STORY) {
      expect(text).not.toContain(String(fields.phone));
      expect(text).not.toContain(String(fields.phone).slice(1));
    }

    const first = exportedLines(file('redacted-1.ndjson'));
    const standIn = (line: Record<string, any>) => String(line.payload.phone);
    const standInsOf = (phone: string) => new Set(first.filter((_line, index) => STORY[index].fields.phone === phone).map(standIn));
    expect(first.every((line) => /^\+999\d{11}$/.test(standIn(line)))).toBe(true);
    expect(standInsOf('+254711000001').size).toBe(1);
    expect(standInsOf('+254711000002').size).toBe(1);
    expect(standInsOf('+254711000001')).not.toEqual(standInsOf('+254711000002'));
    expect(exportedLines(file('redacted-2.ndjson')).map(standIn)).not.toEqual(first.map(standIn));
    expect(first.map((line) => ({ ...line, payload: { ...line.payload, phone: undefined } }))).toEqual(
      exportedLines(file('all.ndjson')).map((line) => ({ ...line, payload: { ...line.payload, phone: undefined } })),
    );
  });

  it("export selects with the console's search fields: state, event type, message, phone, tenant and time received", async () => {
    const selected = async (...selection: string[]) => {
      const data = new PassThrough();
      let text = '';
      data.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      const output = { ...captureCliOutput(), data };
      expect(await runCli(['export', '--schema', source.schema, ...selection], output, database)).toBe(0);
      expect(output.errors).toEqual([expect.stringMatching(/^Exported \d+ event\(s\) to stdout$/)]);
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const { event, messageId } = JSON.parse(line);
          return `${event} ${messageId}`;
        });
    };
    const ordered = [...sourceRecords].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
    // NOTE: the inbox keeps microseconds; a time in milliseconds after an event's is one past its.
    const justAfter = (index: number) => new Date(ordered[index].receivedAt.getTime() + 1).toISOString();

    expect(await selected('--tenant', 'acme', '--state', 'processed')).toEqual([
      'sms.pending msg_exp_a',
      'sms.delivered msg_exp_a',
      'sms.pending msg_poison_c',
    ]);
    expect(await selected('--event', 'sms.pending', '--phone', '+254711000001')).toEqual([
      'sms.pending msg_exp_a',
      'sms.pending msg_exp_d',
    ]);
    expect(await selected('--message-id', 'msg_poison_c', '--state', 'dead')).toEqual(['sms.failed msg_poison_c']);
    expect(await selected('--state', 'invalid')).toEqual(['sms.delivered null']);
    expect(await selected('--after', justAfter(7))).toEqual(['sms.pending msg_exp_d', 'sms.delivered msg_exp_d']);
    expect(await selected('--after', justAfter(1), '--before', ordered[4].receivedAt.toISOString())).toEqual([
      'sms.queued msg_exp_a',
      'sms.delivered msg_exp_a',
    ]);
  });

  it('export refuses a selection it cannot read, naming it', async () => {
    const output = captureCliOutput();
    expect(await runCli(['export', '--schema', source.schema, '--state', 'lost', '--after', 'yesterday'], output, database)).toBe(2);
    expect(output.errors[0]).toBe(
      'Cannot select events: Unknown state "lost"; Received after is not a date and time (e.g. 2025-11-30T14:05)',
    );
  });
});

describe('export of a large inbox', () => {
  const ROWS = 20_000;
  /** About 8 KiB per payload: the export (about 170 MB) cannot be held in the CLI's heap of {@link HEAP_MIB}. */
  const PADDING = 'x'.repeat(8192);
  /** The CLI process's V8 heap limit (`--max-old-space-size`): room for the CLI itself and a few pages. */
  const HEAP_MIB = 128;
  const host = useTestApp('export-large');
  const directory = mkdtempSync(path.join(tmpdir(), 'opensms-export-large-'));

  beforeAll(async () => {
    const inbox = await connectToSchema(host.schema);
    try {
      await inbox.query(
        `WITH events AS (
           INSERT INTO "opensms_webhook_events" ("dedupe_key", "event", "message_id", "phone", "status", "occurred_at", "received_at", "payload", "headers")
           SELECT 'large:' || n, 'sms.delivered', 'msg_large_' || n, '+2547' || lpad(n::text, 8, '0'), 'delivered',
                  timestamptz '2026-01-01' + n * interval '1 second', timestamptz '2026-01-01' + n * interval '1 second',
                  jsonb_build_object('event', 'sms.delivered', 'message_id', 'msg_large_' || n, 'phone', '+2547' || lpad(n::text, 8, '0'),
                                     'status', 'delivered', 'timestamp', '2026-01-01T00:00:00Z', 'padding', $2::text),
                  '{"content-type": "application/json"}'::jsonb
             FROM generate_series(1, $1) AS n
           RETURNING "id", "received_at"
         )
         INSERT INTO "opensms_webhook_event_states" ("event_id", "state", "attempts", "received_at", "processed_at")
         SELECT "id", 'processed', 1, "received_at", "received_at" FROM events`,
        [ROWS, PADDING],
      );
    } finally {
      await inbox.destroy();
    }
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('streams 20,000 events in received order within a heap far smaller than the file', async () => {
    const exportTo = (name: string, ...selection: string[]) =>
      runCliProcess(
        ['export', '--schema', host.schema, '--out', path.join(directory, name), ...selection],
        { DATABASE_URL: TEST_DATABASE_URL, NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` },
        { measureMaxRss: true, hangLimitMs: 150_000 },
      );
    const small = await exportTo('small.ndjson', '--message-id', 'msg_large_1');
    const large = await exportTo('large.ndjson');

    expect(small.output.trim()).toBe(`Exported 1 event(s) to ${path.join(directory, 'small.ndjson')}`);
    expect(large.output.trim()).toBe(`Exported ${ROWS} event(s) to ${path.join(directory, 'large.ndjson')}`);
    expect(large.code).toBe(0);
    const text = readFileSync(path.join(directory, 'large.ndjson'), 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS);
    expect(lines.map((line) => JSON.parse(line).messageId)).toEqual(Array.from({ length: ROWS }, (_, index) => `msg_large_${index + 1}`));

    const mib = (kib: number) => Math.round(kib / 1024);
    process.stdout.write(
      `export peak RSS (heap at most ${HEAP_MIB} MiB): ${mib(small.maxRssKib!)} MiB for 1 event, ` +
        `${mib(large.maxRssKib!)} MiB for ${ROWS} (file ${mib(text.length / 1024)} MiB)\n`,
    );
    // NOTE: generous; what matters is that the export ended at all in a heap smaller than the file (holding it would not).
    expect(large.maxRssKib! - small.maxRssKib!).toBeLessThan(100 * 1024);
  }, 180_000);
});
