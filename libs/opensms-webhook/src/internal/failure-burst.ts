/**
 * Counts failures that come in bursts (a dependency down for a while) so that a burst is logged
 * once, then again only every `reminderMs`, and its end once, instead of one line per call.
 */
export class FailureBurst {
  private failures = 0;
  private lastReportedAt = 0;

  constructor(private readonly reminderMs = 60_000) {}

  /** Counts a failure; `true` when it should be logged (the first of a burst, or a reminder). */
  failed(now = Date.now()): boolean {
    this.failures += 1;
    if (this.failures > 1 && now - this.lastReportedAt < this.reminderMs) return false;
    this.lastReportedAt = now;
    return true;
  }

  /** Ends the current burst; returns how many failures it had (0 when there was none). */
  succeeded(): number {
    const failures = this.failures;
    this.failures = 0;
    return failures;
  }

  /** Failures in the current burst so far. */
  get count(): number {
    return this.failures;
  }
}
