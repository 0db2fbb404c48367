/** A server set explicitly by an environment variable does not answer; nothing falls back silently. */
export class ServerNotAnsweringError extends Error {
  constructor(variable: string, url: string, reason: string) {
    super(
      `${variable} points at ${url}, but nothing answers there (${reason}). ` +
        `Start that server or fix ${variable}; unset it to use a local server or the embedded development database.`,
    );
    this.name = 'ServerNotAnsweringError';
  }
}
