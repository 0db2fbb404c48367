import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';
import { isAlive } from '../src/dev-database/embedded-postgres.server';
import { ExampleProcess } from './support/example-process';
import { waitFor } from './support/test-app';

const SECRET = 'whsec_ZGV2LWRhdGFiYXNlLWUyZS1zZWNyZXQtMDAw';

/** The embedded PostgreSQL a run announced: its folder and port. */
function embeddedOf(output: string): { folder: string; port: number } {
  const match = output.match(/embedded PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:(\d+)\/postgres \(.*?data in (\S+),/);
  if (!match) throw new Error(`No embedded PostgreSQL announced:\n${output}`);
  return { port: Number(match[1]), folder: match[2] };
}

/** Pids of running processes whose command line names `folder`. */
function processesUsing(folder: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(folder) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function expectNothingLeft(run: { folder: string; port: number }): Promise<void> {
  expect(existsSync(run.folder)).toBe(false);
  expect(processesUsing(run.folder)).toEqual([]);
  expect(await portAnswers(run.port)).toBe(false);
}

describe('npm run demo -- --embedded: no server needed, nothing left behind', () => {
  it('tells the story on an embedded PostgreSQL with the PostgreSQL queue, then removes it', async () => {
    const demo = ExampleProcess.start('src/demo/run-demo.ts', ['--embedded']);
    expect(await demo.exited).toBe(0);
    expect(demo.text).toMatch(/Using embedded PostgreSQL at .*forced by --embedded.*removed on exit.*PostgreSQL queue backend/);
    expect(demo.text).toContain('Demo OK');
    await expectNothingLeft(embeddedOf(demo.text));
  }, 120_000);

  it('Ctrl-C midway stops the database and removes its folder', async () => {
    const demo = ExampleProcess.start('src/demo/run-demo.ts', ['--embedded']);
    await demo.waitForOutput(/Example app listening/);
    demo.signal('SIGINT');
    expect([await demo.exited, demo.text]).toEqual([130, expect.stringContaining('Demo interrupted')]);
    expect(demo.text).not.toContain('Demo OK');
    await expectNothingLeft(embeddedOf(demo.text));
  }, 120_000);

  it('a run after one killed with SIGKILL succeeds and removes what the killed one left', async () => {
    const killed = ExampleProcess.start('src/demo/run-demo.ts', ['--embedded']);
    await killed.waitForOutput(/Example app listening/);
    killed.signal('SIGKILL');
    await killed.exited;
    const left = embeddedOf(killed.text);
    expect(existsSync(left.folder)).toBe(true);

    const next = ExampleProcess.start('src/demo/run-demo.ts', ['--embedded']);
    expect(await next.exited).toBe(0);
    expect(next.text).toContain('Demo OK');
    await expectNothingLeft(left);
    await expectNothingLeft(embeddedOf(next.text));
  }, 150_000);
});

describe('npm start with OPENSMS_EMBEDDED=1: the inbox survives a restart', () => {
  let folder: string;
  let app: ExampleProcess | undefined;

  beforeAll(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'opensms-app-e2e-'));
  });

  afterAll(async () => {
    app?.signal('SIGKILL');
    await app?.exited;
    // A postmaster left by a failed test is stopped by the next start on the folder; this one must go too.
    for (const pid of processesUsing(folder)) process.kill(pid, 'SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    const environment = { OPENSMS_EMBEDDED: '1', OPENSMS_EMBEDDED_DIR: folder, OPENSMS_WEBHOOK_SECRET: SECRET, PORT: '0' };
    app = ExampleProcess.start('src/main.ts', [], environment);
    const [, url] = await app.waitForOutput(/Listening on (http:\/\/\S+);/);
    return url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
  }

  async function stop(): Promise<void> {
    app!.signal('SIGTERM');
    expect(await app!.exited).toBe('SIGTERM');
  }

  it('answers a signed send-test, and after a restart GET /messages/:id still shows the event', async () => {
    let url = await start();
    expect(app!.text).toContain(`data in ${folder}, kept across restarts`);
    expect(app!.text).toMatch(/development default: set DATABASE_URL/);
    const lines: string[] = [];
    const output = { log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
    const code = await runCli(
      [
        'send-test',
        '--url',
        `${url}/webhooks/sms`,
        '--secret',
        SECRET,
        '--event',
        'sms.failed',
        '--message-id',
        'msg_kept',
        '--error',
        'Absent subscriber',
      ],
      output,
    );
    expect(lines).toContain('HTTP 200');
    expect(code).toBe(0);
    await waitFor('the event applied', async () => (await fetch(`${url}/messages/msg_kept`)).status === 200);
    await stop();
    expect(processesUsing(folder)).toEqual([]);

    url = await start();
    const response = await fetch(`${url}/messages/msg_kept`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      messageId: 'msg_kept',
      status: 'failed',
      error: 'Absent subscriber',
      history: [expect.objectContaining({ event: 'sms.failed', applied: true })],
    });
    await stop();
  }, 150_000);
});

describe('DATABASE_URL set but not answering: an error naming it, never a fall-back', () => {
  const closed = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' };

  it.each([
    ['the demo', 'src/demo/run-demo.ts' as const],
    ['the example app', 'src/main.ts' as const],
  ])(
    '%s stops with a non-zero exit code',
    async (_, entry) => {
      const run = ExampleProcess.start(entry, [], { ...closed, OPENSMS_WEBHOOK_SECRET: SECRET });
      expect(await run.exited).toBe(1);
      expect(run.text).toContain('DATABASE_URL points at postgres://postgres@127.0.0.1:1/postgres, but nothing answers there');
      expect(run.text).not.toContain('embedded PostgreSQL at');
    },
    60_000,
  );
});
