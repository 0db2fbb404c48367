import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { ChildHostConfig, ChildHostMessage } from '../fixtures/child-host.app';

const ROOT = path.resolve(__dirname, '../..');
const HOST_SCRIPT = path.join(ROOT, 'test/fixtures/child-host.app.ts');
const START_TIMEOUT_MS = 90_000;
const STDERR_LINES_KEPT = 40;

/** A host application in a child process (see test/fixtures/child-host.app.ts). */
export class ChildApp {
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals>;
  private readonly stderr: string[] = [];

  constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    stderrLines: string[],
  ) {
    this.stderr = stderrLines;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode!);
      else child.once('exit', (code, signal) => resolve(code ?? signal!));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get webhookUrl(): string {
    return `${this.url}/webhooks/sms`;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's last stderr lines, for failure messages. */
  get recentErrors(): string {
    return this.stderr.join('');
  }

  /** Unblocks handlers blocked on `blockMessagePrefix`. */
  releaseBlockedHandlers(): void {
    this.child.send('release');
  }

  /** Kills the process at once, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    if (this.isRunning) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Sends SIGTERM and waits at most `boundMs` for the process to end (see {@link terminateWithin}). */
  terminate(boundMs: number): Promise<Termination> {
    return terminateWithin(this.child, this.exited, boundMs);
  }

  /** Asks for a graceful shutdown; kills the process if it has not ended within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.isRunning) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** How a process asked to stop ended, and after how long. */
export interface Termination {
  exit: number | NodeJS.Signals | 'still running';
  afterMs: number;
}

/**
 * Sends SIGTERM to `child` and waits at most `boundMs` for it to end: resolves to how it ended (`exited`'s
 * value) and after how long, or to `'still running'`, after which the process is killed so that no
 * test leaves it behind.
 */
export async function terminateWithin(
  child: ChildProcess,
  exited: Promise<number | NodeJS.Signals>,
  boundMs: number,
): Promise<Termination> {
  const startedAt = Date.now();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), boundMs)));
  const exit = await Promise.race([exited, overdue]);
  clearTimeout(timer);
  const afterMs = Date.now() - startedAt;
  if (exit === 'still running') {
    child.kill('SIGKILL');
    await exited;
  }
  return { exit, afterMs };
}

/**
 * Starts a host application in a child process (TypeScript through ts-node, transpile only) and
 * resolves once it listens. Start the first app of a schema alone: it runs the migrations. When
 * `signal` aborts before the app is ready, the process is killed and the promise rejects.
 */
export function startChildApp(config: ChildHostConfig, signal?: AbortSignal): Promise<ChildApp> {
  const child = fork(HOST_SCRIPT, [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), CHILD_HOST_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderrLines: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderrLines.push(chunk);
    if (stderrLines.length > STDERR_LINES_KEPT) stderrLines.shift();
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const aborted = () => fail('was stopped before it was ready');
    const fail = (reason: string) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      child.kill('SIGKILL');
      reject(new Error(`Child host app ${reason}\n${stderrLines.join('')}`));
    };
    if (signal?.aborted) return aborted();
    signal?.addEventListener('abort', aborted, { once: true });
    child.once('exit', (code, exitSignal) => fail(`exited before it was ready (${code ?? exitSignal})`));
    child.on('message', (message: ChildHostMessage) => {
      if (message.type === 'failed') return fail(`failed to start: ${message.error}`);
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      child.removeAllListeners('exit');
      resolve(new ChildApp(child, message.url, stderrLines));
    });
  });
}

/** Ends every given app that is still running (for afterAll). */
export async function stopAll(apps: readonly (ChildApp | undefined)[]): Promise<void> {
  await Promise.all(apps.map((app) => app?.kill()));
}
