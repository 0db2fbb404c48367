import type { Logger } from '@nestjs/common';

/** Logs a warning at most once per interval, so an outage does not flood the log. */
export class ThrottledWarning {
  private lastLoggedAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

  warn(message: string): void {
    const now = Date.now();
    if (now - this.lastLoggedAt < this.intervalMs) return;
    this.lastLoggedAt = now;
    this.logger.warn(message);
  }
}
