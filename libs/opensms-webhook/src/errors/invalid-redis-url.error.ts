/** A Redis URL that cannot be read. */
export class InvalidRedisUrlError extends Error {
  constructor(problem: string) {
    super(
      `${problem}. Give a URL of the form redis://[user:password@]host[:port][/db] ` +
        '(rediss:// for TLS); encode special characters of the user name and password with encodeURIComponent.',
    );
    this.name = 'InvalidRedisUrlError';
  }
}
