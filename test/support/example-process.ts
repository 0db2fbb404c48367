import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { type Termination, terminateWithin } from './child-app';
import { waitFor } from './test-app';

const ROOT = path.resolve(__dirname, '../..');

/** The demo or the example app as `npm run demo` / `npm start` run it, from the TypeScript sources. */
export class ExampleProcess {
  readonly exited: Promise<number | NodeJS.Signals>;
  private output = '';

  constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!)));
  }

  static start(entry: 'src/demo/run-demo.ts' | 'src/main.ts', args: string[], environment: Record<string, string> = {}): ExampleProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...environment };
    // NOTE: the servers are the process's own choice here: nothing inherited from the test run.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'OPENSMS_QUEUE_BACKEND', 'OPENSMS_EMBEDDED']) {
      if (!(name in environment)) delete env[name];
    }
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', entry, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ExampleProcess(child);
  }

  get text(): string {
    return this.output;
  }

  /** The first match of `pattern` in the output, once it appears. */
  async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    await waitFor(`output ${pattern}`, () => pattern.test(this.output) || this.child.exitCode !== null, timeoutMs);
    const match = this.output.match(pattern);
    if (!match) throw new Error(`No ${pattern} in the output:\n${this.output}`);
    return match;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends SIGTERM and waits at most `boundMs` for the process to end (see {@link terminateWithin}). */
  terminate(boundMs: number): Promise<Termination> {
    return terminateWithin(this.child, this.exited, boundMs);
  }
}
