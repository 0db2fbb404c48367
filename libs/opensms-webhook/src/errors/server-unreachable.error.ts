/** The command line could not reach PostgreSQL or Redis. */
export class ServerUnreachableError extends Error {
  constructor(server: 'PostgreSQL' | 'Redis', where: string, reason: string) {
    super(
      `Cannot reach ${server} at ${where}: ${reason}. Check that the server runs and answers there, and the URL ` +
        '(scheme, host, port, credentials; rediss:// only for a server that speaks TLS).',
    );
    this.name = 'ServerUnreachableError';
  }
}
