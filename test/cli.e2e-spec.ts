import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable } from '@nestjs/common';
import { OnSmsEvent, OpenSmsWebhookService, type SmsEvent } from '@opensms/nestjs-webhooks';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { UnrecoverableError } from 'bullmq';
import { captureCliOutput, closedPort, recordingServer, runCliProcess } from './support/cli-process';
import { TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { TEST_DATABASE_URL } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/** A handler failure whose text tries to forge terminal output: a colour change and a second line. */
const HOSTILE_ERROR = 'boom \u001b[2J\u001b[31m\nopensms-webhook: all good\u202e';

@Injectable()
class AlwaysDeadHandler {
  @OnSmsEvent('failed')
  onFailed(_event: SmsEvent): void {
    throw new UnrecoverableError(HOSTILE_ERROR);
  }
}

describe('opensms-webhook CLI against real servers', () => {
  const host = useTestApp('cli', { providers: [AlwaysDeadHandler], options: { job: { attempts: 1 } } });
  const inbox = () => ['--schema', host.schema];
  let deadId: string;

  beforeAll(async () => {
    const response = await postSigned(host.endpoint, smsPayload({ event: 'sms.failed', message_id: 'msg_cli_dead' }));
    expect(response.status).toBe(200);
    deadId = response.body.id;
    const service = host.app.get(OpenSmsWebhookService);
    await waitFor('the event to be dead', async () => (await service.findById(deadId))?.state === 'dead');
  });

  const stateOf = async (id: string) => (await host.app.get(OpenSmsWebhookService).findById(id))?.state;
  const updatedAtOf = async (id: string) => (await host.app.get(OpenSmsWebhookService).findById(id))?.updatedAt.getTime() ?? 0;

  it('dead: takes the database URL from DATABASE_URL and prints stored text with its control characters escaped', async () => {
    const output = captureCliOutput();
    expect(await runCli(['dead', ...inbox()], output, { DATABASE_URL: TEST_DATABASE_URL })).toBe(0);

    const row = output.lines.find((line) => line.startsWith(deadId));
    expect(row).toContain('msg_cli_dead');
    expect(row).toContain('boom \\x1b[2J\\x1b[31m\\nopensms-webhook: all good\\u202e');
    expect(output.lines.join('')).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(output.lines).not.toContain('opensms-webhook: all good');
  });

  it('dead: without a database URL in the options or the environment, names both', async () => {
    const output = captureCliOutput();
    expect(await runCli(['dead'], output, {})).toBe(2);
    expect(output.lines[0]).toBe('--database-url is required (or set DATABASE_URL)');
  });

  it('send-test: takes the secret from OPENSMS_WEBHOOK_SECRET (the first of a list)', async () => {
    const output = captureCliOutput();
    const code = await runCli(['send-test', '--url', host.endpoint, '--message-id', 'msg_cli_env'], output, {
      OPENSMS_WEBHOOK_SECRET: `${TEST_SECRET}, whsec_b2xkLXNlY3JldC1iZWluZy1yb3RhdGVkLW91dA==`,
    });
    expect(output.lines).toContain('HTTP 200');
    expect(code).toBe(0);
    expect(await host.app.get(OpenSmsWebhookService).find({ messageId: 'msg_cli_env' })).toHaveLength(1);
  });

  it('send-test: an answer that tries to forge output lines is printed escaped, on one line', async () => {
    const hostile: Server = createServer((_request, response) => {
      response.writeHead(500).end('nope\nHTTP 200\n\u001b]0;owned\u0007');
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    try {
      const output = captureCliOutput();
      const { port } = hostile.address() as AddressInfo;
      const code = await runCli(['send-test', '--url', `http://127.0.0.1:${port}/`, '--secret', TEST_SECRET], output);
      expect(code).toBe(1);
      expect(output.lines).toContain('HTTP 500');
      expect(output.lines).not.toContain('HTTP 200');
      expect(output.lines).toContain('nope\\nHTTP 200\\n\\x1b]0;owned\\x07');
    } finally {
      await new Promise((resolve) => hostile.close(resolve));
    }
  });

  it('send-test: never follows a redirect: the 307 is the answer, naming where it points, and the other server gets nothing', async () => {
    const other = await recordingServer((response) => response.writeHead(200).end('{"status":"received"}'));
    const redirecting = await recordingServer((response) =>
      response.writeHead(307, { location: `http://127.0.0.1:${other.port}/collect` }).end('moved'),
    );
    try {
      const output = captureCliOutput();
      const code = await runCli(
        ['send-test', '--url', `http://127.0.0.1:${redirecting.port}/webhooks/sms`, '--secret', TEST_SECRET],
        output,
      );

      expect(redirecting.requests).toEqual(['POST /webhooks/sms']);
      expect(other.requests).toEqual([]);
      expect(output.lines).toContain('HTTP 307');
      expect(output.lines).toContain(`Redirect to http://127.0.0.1:${other.port}/collect not followed: send-test posts only to --url`);
      expect(code).toBe(1);
    } finally {
      await Promise.all([other, redirecting].map(({ server }) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('send-test: a URL with a user name and password is refused without printing them', async () => {
    const port = await closedPort();
    const output = captureCliOutput();
    const code = await runCli(['send-test', '--url', `http://user:pass@127.0.0.1:${port}/x`, '--secret', TEST_SECRET], output);

    expect(output.lines.join('\n')).not.toContain('pass');
    expect(output.errors).toEqual([
      `opensms-webhook: --url must not contain credentials (got http://127.0.0.1:${port}/x): send-test sends only the signed call`,
    ]);
    expect(code).toBe(1);
  });

  it('send-test: an endpoint that cannot be reached is named without the query of its URL', async () => {
    const port = await closedPort();
    const output = captureCliOutput();
    const code = await runCli(['send-test', '--url', `http://127.0.0.1:${port}/x?token=query-secret`, '--secret', TEST_SECRET], output);

    expect(output.errors).toEqual([expect.stringMatching(new RegExp(`^opensms-webhook: Cannot reach http://127\\.0\\.0\\.1:${port}/x: `))]);
    expect(output.lines.join('\n')).not.toContain('query-secret');
    expect(code).toBe(1);
  });

  it('send-test: warns on stderr when http:// goes to a host other than this machine', async () => {
    const remote = captureCliOutput();
    await runCli(['send-test', '--url', 'http://example.invalid/webhooks/sms', '--secret', TEST_SECRET], remote);
    expect(remote.errors[0]).toBe(
      'Warning: http://example.invalid/webhooks/sms is not encrypted (http:// to another machine): ' +
        'the signed event and its headers cross the network readable by anyone on the way; use https://',
    );

    const port = await closedPort();
    for (const local of [`localhost:${port}`, `127.0.0.1:${port}`, `127.8.9.10:${port}`, `[::1]:${port}`]) {
      const output = captureCliOutput();
      await runCli(['send-test', '--url', `http://${local}/webhooks/sms`, '--secret', TEST_SECRET], output);
      expect(output.errors.filter((line) => line.startsWith('Warning'))).toEqual([]);
    }
  });

  it('dead: PostgreSQL on a closed port ends the process with exit code 1 and says so, without the password', async () => {
    const port = await closedPort();
    const { code, output } = await runCliProcess(['dead'], { DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${port}/test` });

    expect(output).toContain(`Cannot reach PostgreSQL at postgres://127.0.0.1:${port}/test`);
    expect(output).not.toContain('hunter2');
    expect(output).not.toContain('still running');
    expect(code).toBe(1);
  });

  it("replay: needs only the database (no Redis URL): the reopened event is queued by the app's relay and runs again", async () => {
    const before = await updatedAtOf(deadId);
    const output = captureCliOutput();
    const code = await runCli(['replay', ...inbox(), '--id', deadId], output, { DATABASE_URL: TEST_DATABASE_URL });

    expect(output.lines).toEqual([`Replayed 1 event(s): ${deadId}`]);
    expect(code).toBe(0);
    await waitFor('the replayed event to run again and die again', async () => {
      return (await stateOf(deadId)) === 'dead' && (await updatedAtOf(deadId)) > before;
    });
  });
});
