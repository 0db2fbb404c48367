import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps the lines an app logs at log, warn and error level, for a test to read. */
export class LogCapture implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) {
    this.lines.push(String(message));
  }
  error(message: unknown) {
    this.lines.push(String(message));
  }
  warn(message: unknown) {
    this.lines.push(String(message));
  }
  debug() {}
  verbose() {}
}
