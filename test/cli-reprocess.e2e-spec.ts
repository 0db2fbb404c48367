import { Injectable } from '@nestjs/common';
import { OnSmsEvent, type SmsEvent, type SmsEventContext, type SmsFailedEvent, type UnknownSmsEvent } from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import type { DataSource } from 'typeorm';
import { captureCliOutput, runCliProcess } from './support/cli-process';
import { eventStates, outboxSize, storeProcessedEvents } from './support/inbox-rows';
import { useTestApp, waitFor } from './support/test-app';
import { connectToSchema, TEST_DATABASE_URL } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** One handler run as the application saw it. */
interface Run {
  eventId: string;
  reprocessed: boolean;
}

/** The handler whose bug was fixed: the one to run again. */
@Injectable()
class StatusHandler {
  readonly runs: Run[] = [];

  @OnSmsEvent('failed')
  onFailed(_event: SmsFailedEvent, context: SmsEventContext): void {
    this.runs.push({ eventId: context.eventId, reprocessed: context.reprocessed });
  }
}

/** A handler of every event that must not run again unless named. */
@Injectable()
class AuditHandler {
  readonly runs: Run[] = [];

  @OnSmsEvent('*')
  onAny(_event: SmsEvent | UnknownSmsEvent, context: SmsEventContext): void {
    this.runs.push({ eventId: context.eventId, reprocessed: context.reprocessed });
  }
}

/** Processed `sms.pending` events stored straight into the inbox, enough to interrupt a slow run. */
const STORED_PENDING = 30;

const UNCHECKED_NAMES =
  "Handler names are not checked here (this process does not have the application's handlers): a name the " +
  'application does not have clears nothing and runs nothing, and its events end as they were.';

describe('opensms-webhook reprocess against an application', () => {
  const host = useTestApp('cli_reprocess', { providers: [StatusHandler, AuditHandler] });
  const env = { DATABASE_URL: TEST_DATABASE_URL };
  let db: DataSource;

  const finished = async () => (await eventStates(db)).every(({ state }) => ['processed', 'ignored', 'dead'].includes(state));

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
    const calls = [
      ...[0, 1, 2].map((index) => smsPayload({ event: 'sms.failed', status: 'failed', message_id: `msg_clirp_f${index}`, error: 'x' })),
      ...[0, 1].map((index) => smsPayload({ event: 'sms.delivered', status: 'delivered', message_id: `msg_clirp_d${index}` })),
    ];
    for (const payload of calls) expect((await postSigned(host.endpoint, payload)).status).toBe(200);
    await waitFor(
      'the five events processed',
      async () => (await eventStates(db)).filter(({ state }) => state === 'processed').length === 5,
    );
    await storeProcessedEvents(db, {
      count: STORED_PENDING,
      event: 'sms.pending',
      messagePrefix: 'msg_clirp_p',
      handler: 'AuditHandler.onAny',
    });
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('--dry-run prints the events by type and what each named handler had completed, and changes nothing', async () => {
    const before = await eventStates(db);
    const output = captureCliOutput();
    const code = await runCli(
      ['reprocess', '--schema', host.schema, '--event', 'sms.failed', '--handler', 'StatusHandler.onFailed', '--dry-run'],
      output,
      env,
    );

    expect(output.lines).toEqual([
      'Dry run: nothing changed.',
      '3 event(s) selected:',
      '  sms.failed  3',
      'Handlers run again (completed before: selected events it had already completed):',
      '  StatusHandler.onFailed  completed before: 3',
      UNCHECKED_NAMES,
    ]);
    expect(code).toBe(0);

    const every = captureCliOutput();
    expect(await runCli(['reprocess', '--schema', host.schema, '--dry-run'], every, env)).toBe(0);
    expect(every.lines).toEqual([
      'Dry run: nothing changed.',
      `${5 + STORED_PENDING} event(s) selected:`,
      '  sms.delivered  2',
      '  sms.failed     3',
      `  sms.pending    ${STORED_PENDING}`,
      'Handlers run again: every handler of each event',
    ]);

    const misspelt = captureCliOutput();
    expect(await runCli(['reprocess', '--schema', host.schema, '--handler', 'StatusHandler.onFaild', '--dry-run'], misspelt, env)).toBe(0);
    expect(misspelt.lines).toContain('  StatusHandler.onFaild  completed before: 0');

    expect(await eventStates(db)).toEqual(before);
    expect(await outboxSize(db)).toBe(0);
    expect(host.app.get(StatusHandler).runs).toHaveLength(3);
    expect(host.app.get(AuditHandler).runs).toHaveLength(5);
  });

  it('refuses a state that cannot be reprocessed and a rate that is no rate, with exit code 2, changing nothing', async () => {
    const before = await eventStates(db);
    const state = captureCliOutput();
    expect(await runCli(['reprocess', '--schema', host.schema, '--state', 'received'], state, env)).toBe(2);
    expect(state.errors[0]).toBe(
      'Cannot reprocess: state received cannot be reprocessed (only processed, ignored, dead: unfinished events run anyway)',
    );
    const rate = captureCliOutput();
    expect(await runCli(['reprocess', '--schema', host.schema, '--rate', '0'], rate, env)).toBe(2);
    expect(rate.errors[0]).toBe('--rate must be a number per second above 0 (got "0")');
    expect(await eventStates(db)).toEqual(before);
    expect(await outboxSize(db)).toBe(0);
  });

  it("runs the named handler again on the selected events only; the app's workers process them", async () => {
    const status = host.app.get(StatusHandler);
    const audit = host.app.get(AuditHandler);
    const before = new Map((await eventStates(db)).map((row) => [row.id, row.completed]));
    const failedIds = status.runs.map((entry) => entry.eventId).sort();
    const output = captureCliOutput();
    const code = await runCli(
      ['reprocess', '--schema', host.schema, '--event', 'sms.failed', '--handler', 'StatusHandler.onFailed'],
      output,
      env,
    );

    expect(output.lines.slice(0, 4)).toEqual([
      '3 event(s) selected:',
      '  sms.failed  3',
      'Handlers run again (completed before: selected events it had already completed):',
      '  StatusHandler.onFailed  completed before: 3',
    ]);
    expect(output.lines.at(-1)).toBe("Reprocessing queued: 3 of 3 event(s) queued again; the application's workers process them.");
    expect(code).toBe(0);

    await waitFor('the status handler ran again on the three failed events', () => status.runs.length === 6);
    await waitFor('the reprocessed events finished', finished);
    const again = status.runs.slice(3);
    expect(again.every((entry) => entry.reprocessed)).toBe(true);
    expect(again.map((entry) => entry.eventId).sort()).toEqual(failedIds);
    expect(audit.runs).toHaveLength(5);
    for (const row of await eventStates(db)) {
      expect(row.state).toBe('processed');
      expect(row.completed['AuditHandler.onAny']).toEqual(before.get(row.id)?.['AuditHandler.onAny']);
      if (!failedIds.includes(row.id)) expect(row.completed).toEqual(before.get(row.id));
    }
  });

  it('Ctrl-C stops the queueing, says how many were queued and exits 1; only those run again', async () => {
    const audit = host.app.get(AuditHandler);
    const before = new Map((await eventStates(db)).map((row) => [row.id, row.completed]));
    const { code, output } = await runCliProcess(
      ['reprocess', '--schema', host.schema, '--event', 'sms.pending', '--handler', 'AuditHandler.onAny', '--rate', '1'],
      env,
      { interruptWhen: (text) => new RegExp(`^queued \\d+ of ${STORED_PENDING}$`, 'm').test(text) },
    );

    expect(output).toContain('Interrupted: queueing no further event.');
    const cancelled = new RegExp(
      `^Reprocessing cancelled: (\\d+) of ${STORED_PENDING} event\\(s\\) queued again; the others are as they were\\.$`,
      'm',
    ).exec(output);
    expect(cancelled).not.toBeNull();
    const queued = Number(cancelled![1]);
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(STORED_PENDING);
    expect(code).toBe(1);

    await waitFor('the queued events ran again', () => audit.runs.filter((entry) => entry.reprocessed).length === queued);
    await waitFor('every event finished', async () => (await finished()) && (await outboxSize(db)) === 0);
    const changed = (await eventStates(db)).filter((row) => JSON.stringify(row.completed) !== JSON.stringify(before.get(row.id)));
    expect(changed).toHaveLength(queued);
    expect(audit.runs.filter((entry) => entry.reprocessed)).toHaveLength(queued);
  });
});
