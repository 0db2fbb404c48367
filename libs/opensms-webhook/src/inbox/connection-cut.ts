/** A node-postgres client, as far as cutting its connection goes. */
interface PostgresClientSocket {
  connection?: { stream?: { destroy(): void } };
}

/**
 * Destroys the socket of a node-postgres client at once, without the graceful goodbye that waits for a
 * server that may never answer: its pending queries fail ("Connection terminated"), its pool drops it,
 * and whatever transaction it held is rolled back by the server. `client` is what a TypeORM query
 * runner's `connect()` resolves to. Returns whether there was a socket to destroy.
 */
export function cutConnection(client: unknown): boolean {
  const stream = (client as PostgresClientSocket | undefined)?.connection?.stream;
  stream?.destroy();
  return stream !== undefined;
}
