/** The embedded PostgreSQL did not start; the message carries the end of its log. */
export class EmbeddedPostgresStartError extends Error {
  constructor(folder: string, reason: string, log: string) {
    super(
      `The embedded PostgreSQL in ${folder} did not start: ${reason}. ` +
        `Delete that folder to start from an empty database, or set DATABASE_URL to a server of your own.` +
        (log ? `\n${log}` : ''),
    );
    this.name = 'EmbeddedPostgresStartError';
  }
}
