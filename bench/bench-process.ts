import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildMessage, ChildRole } from './bench-child';

const CHILD_ENTRY = join(__dirname, 'bench-child.js');
const START_TIMEOUT_MS = 60_000;

/**
 * An app of the benchmark running in a process of its own, so that its CPU and memory are its
 * own. `BENCH_CPU_PROF=1` writes a V8 CPU profile of each child into `dist-bench/profiles/`.
 */
export class BenchProcess {
  private readonly messages: ChildMessage[] = [];
  private readonly waiters: (() => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      this.messages.push(message);
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  static async start(role: ChildRole): Promise<{ process: BenchProcess; url?: string }> {
    const profiling =
      process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(process.cwd(), 'dist-bench', 'profiles')}`] : [];
    const child = fork(CHILD_ENTRY, [], {
      execArgv: [...process.execArgv, ...profiling],
      env: { ...process.env, BENCH_CHILD: JSON.stringify(role) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = new BenchProcess(child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${role.role} process exited with code ${code} before it was ready`))),
    );
    exited.catch(() => undefined);
    const ready = await Promise.race([started.next('ready', START_TIMEOUT_MS), exited]);
    return { process: started, url: ready.url };
  }

  /** Waits for the child's next message of `type`. */
  async next<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((message) => message.type === type);
      if (index >= 0) return this.messages.splice(index, 1)[0] as Extract<ChildMessage, { type: T }>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no '${type}' message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Peak resident set size of the process so far, in MiB (VmHWM). */
  peakRssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    return kib / 1024;
  }

  /** Asks the child to close its app and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send('stop');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
