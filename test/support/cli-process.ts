import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliOutput } from '@opensms/nestjs-webhooks/cli/opensms-webhook.cli';

const ROOT = path.resolve(__dirname, '../..');
const CLI_SCRIPT = path.join(ROOT, 'libs/opensms-webhook/src/cli/opensms-webhook.cli.ts');
const MAX_RSS_REPORTER = path.join(__dirname, 'report-max-rss.ts');
/** A CLI process still running after this long (unless told otherwise) is hanging; it is killed and the test fails. */
const HANG_LIMIT_MS = 60_000;

/** How a CLI process ended. */
export interface CliProcessResult {
  code: number | null;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
  /**
   * The process's peak resident set size in KiB (`process.resourceUsage().maxRSS`), when asked for
   * and the process exited on its own (not when it crashed or was killed).
   */
  maxRssKib?: number;
}

/**
 * Runs the CLI as users do, in a process of its own, without the caller's `DATABASE_URL`,
 * `REDIS_URL` and `OPENSMS_WEBHOOK_SECRET` unless `environment` gives them; resolves its exit code
 * and output, and with `measureMaxRss` its peak memory. With `interruptWhen`, the process gets a
 * SIGINT (as from Ctrl-C) once its output so far satisfies it.
 */
export async function runCliProcess(
  args: string[],
  environment: Record<string, string> = {},
  options: { measureMaxRss?: boolean; hangLimitMs?: number; interruptWhen?: (output: string) => boolean } = {},
): Promise<CliProcessResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...environment };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'OPENSMS_WEBHOOK_SECRET']) if (!(name in environment)) delete env[name];
  const rssFile = path.join(tmpdir(), `opensms-cli-rss-${process.pid}-${Date.now().toString(36)}`);
  if (options.measureMaxRss) env.REPORT_MAX_RSS_TO = rssFile;
  const preload = [
    '-r',
    'ts-node/register/transpile-only',
    '-r',
    'tsconfig-paths/register',
    ...(options.measureMaxRss ? ['-r', MAX_RSS_REPORTER] : []),
  ];
  const child = spawn(process.execPath, [...preload, CLI_SCRIPT, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let interrupted = false;
  const take = (chunk: string) => {
    output += chunk;
    if (!interrupted && options.interruptWhen?.(output)) interrupted = child.kill('SIGINT');
  };
  child.stdout.setEncoding('utf8').on('data', take);
  child.stderr.setEncoding('utf8').on('data', take);
  const code = await new Promise<number | null>((resolve) => {
    const hangLimitMs = options.hangLimitMs ?? HANG_LIMIT_MS;
    const hang = setTimeout(() => {
      output += `\n[still running after ${hangLimitMs} ms: killed]`;
      child.kill('SIGKILL');
    }, hangLimitMs);
    child.on('close', (exitCode) => {
      clearTimeout(hang);
      resolve(exitCode);
    });
  });
  if (!options.measureMaxRss || !existsSync(rssFile)) return { code, output };
  const maxRssKib = Number(readFileSync(rssFile, 'utf8'));
  rmSync(rssFile, { force: true });
  return { code, output, maxRssKib };
}

/** A {@link CliOutput} for `runCli` in the test's process that keeps every line (`lines`), and stderr's also in `errors`. */
export function captureCliOutput(): CliOutput & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    log: (line) => lines.push(line),
    error: (line) => {
      lines.push(line);
      errors.push(line);
    },
  };
}

/** A local HTTP server on a free port that records the requests it gets and answers with `answer`. */
export async function recordingServer(
  answer: (response: ServerResponse) => void,
): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume().on('end', () => answer(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

/** A local port that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
