/**
 * How late this process's event loop runs, sampled by a timer every `sampleMs`: the lateness of
 * the last tick, or how overdue the next one already is, so that a loop busy right now is seen at
 * once, before its timer could run. The timer does not keep the process alive; {@link stop} ends it.
 */
export class EventLoopDelay {
  private lastTickAt = performance.now();
  private lastDelayMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sampleMs = 10) {
    this.timer = setInterval(() => this.tick(), sampleMs);
    this.timer.unref();
  }

  /** Milliseconds the loop is behind now (0 when it keeps time). */
  currentMs(): number {
    return Math.max(this.lastDelayMs, this.overdueMs(performance.now()));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    this.lastDelayMs = this.overdueMs(now);
    this.lastTickAt = now;
  }

  private overdueMs(now: number): number {
    return Math.max(0, now - this.lastTickAt - this.sampleMs);
  }
}
