import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { DataSource } from 'typeorm';
import { type CliOutput, runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { RecordingConsumer } from '../fixtures/recording.consumer';
import { useTestApp, waitFor } from '../support/test-app';
import { queueSchemaOf, TEST_DATABASE_URL, TEST_QUEUE_BACKEND, TEST_REDIS } from '../support/test-database';
import { postSigned, smsPayload } from '../support/webhook-client';

function captureOutput(): CliOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), error: (line) => lines.push(line) };
}

describe('pause / resume / status from the command line', () => {
  const host = useTestApp('pause', { providers: [RecordingConsumer] });
  /** The options an operator gives: where the inbox and the app's queue are. */
  const connection = () => [
    '--database-url',
    TEST_DATABASE_URL,
    '--schema',
    host.schema,
    ...(TEST_QUEUE_BACKEND === 'postgres'
      ? ['--queue-backend', 'postgres', '--queue-schema', queueSchemaOf(host.schema)]
      : ['--redis-url', `redis://${TEST_REDIS.host}:${TEST_REDIS.port}`, '--queue-prefix', host.schema]),
  ];
  const cli = async (command: string) => {
    const output = captureOutput();
    const code = await runCli([command, ...connection()], output, {});
    return { code, lines: output.lines };
  };
  const service = () => host.app.get(OpenSmsWebhookService);

  it('while paused, calls are answered 200 at once and stored; status says so; resume processes them', async () => {
    expect(await cli('pause')).toEqual({
      code: 0,
      lines: ['Processing paused: workers take no new events; events are still received and stored.'],
    });
    expect(await service().isPaused()).toBe(true);

    const responses = await Promise.all(
      [1, 2, 3].map((n) => postSigned(host.endpoint, smsPayload({ event: 'sms.delivered', message_id: `msg_paused_${n}` }))),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    const ids: string[] = responses.map((response) => response.body.id);

    // NOTE: longer than the relay's round: the events are queued, and no paused worker takes them.
    await waitFor('the relay to queue the events', async () => {
      const [{ unqueued }]: { unqueued: number }[] = await host.app
        .get(DataSource)
        .query(`SELECT count(*)::int AS "unqueued" FROM "${host.schema}"."opensms_webhook_outbox" WHERE "event_id" = ANY($1)`, [ids]);
      return unqueued === 0;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const states = await Promise.all(ids.map(async (id) => (await service().findById(id))?.state));
    expect(states).toEqual(['received', 'received', 'received']);
    expect(host.app.get(RecordingConsumer).calls).toHaveLength(0);

    const paused = await cli('status');
    expect(paused.code).toBe(0);
    expect(paused.lines).toContain('received   3');
    expect(paused.lines).toContain('processed  0');
    expect(paused.lines.find((line) => line.startsWith('backlog'))).toMatch(/^backlog {4}3, oldest unfinished \d+ s old$/);
    expect(paused.lines).toContain('processing paused (resume with: opensms-webhook resume)');

    expect(await cli('resume')).toEqual({ code: 0, lines: ['Processing resumed.'] });
    await waitFor('the paused events to be processed', async () => {
      const rows = await Promise.all(ids.map((id) => service().findById(id)));
      return rows.every((row) => row?.state === 'processed');
    });

    const running = await cli('status');
    expect(running.lines).toContain('processed  3');
    expect(running.lines).toContain('backlog    0');
    expect(running.lines).toContain('processing running');
  });

  it('a queue server that does not answer ends the command with exit code 1, naming it without its password', async () => {
    const output = captureOutput();
    const code = await runCli(['pause', '--redis-url', 'redis://:hunter2@127.0.0.1:1/0'], output, {});
    expect(code).toBe(1);
    expect(output.lines.join('\n')).toContain('Cannot reach Redis at redis://127.0.0.1:1/0');
    expect(output.lines.join('\n')).not.toContain('hunter2');
  });
});
