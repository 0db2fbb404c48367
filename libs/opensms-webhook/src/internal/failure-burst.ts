import type { LoggerService } from '@nestjs/common';

/** A log line of a {@link FailureBurst}: fixed, or made from the count of failures so far. */
type BurstMessage = string | ((failures: number) => string);

/**
 * The log of a failure that comes in bursts (a dependency down for a while, an overload): the
 * first failure of a burst is logged, then one line at most every `intervalMs`, instead of one
 * line per failure. {@link succeeded} ends the burst, so that the next failure is logged at once;
 * a burst that is never ended is logged once per interval for as long as it lasts.
 */
export class FailureBurst {
  private failures = 0;
  private lastLoggedAt = 0;

  constructor(
    private readonly logger: Pick<LoggerService, 'warn' | 'error'>,
    private readonly intervalMs = 5000,
  ) {}

  /** Counts a failure, and logs it as a warning when it is the first of its burst or the interval has passed. */
  warn(message: BurstMessage): void {
    if (this.failed()) this.logger.warn(this.text(message));
  }

  /** {@link warn}, as an error. */
  error(message: BurstMessage): void {
    if (this.failed()) this.logger.error(this.text(message));
  }

  /** Ends the current burst; returns how many failures it had (0 when there was none). */
  succeeded(): number {
    const failures = this.failures;
    this.failures = 0;
    return failures;
  }

  /** Counts a failure; `true` when it should be logged. */
  private failed(): boolean {
    const now = Date.now();
    this.failures += 1;
    if (this.failures > 1 && now - this.lastLoggedAt < this.intervalMs) return false;
    this.lastLoggedAt = now;
    return true;
  }

  private text(message: BurstMessage): string {
    return typeof message === 'string' ? message : message(this.failures);
  }
}
