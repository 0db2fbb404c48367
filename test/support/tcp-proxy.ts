import net from 'node:net';

/** How the proxy treats traffic. */
export type ProxyState =
  /** Forwards both ways. */
  | 'open'
  /** Resets every connection, open or new: the server looks down. */
  | 'refusing'
  /** Accepts connections but forwards nothing: the network looks partitioned. */
  | 'silent'
  /**
   * Keeps every connection open, old and new, and forwards nothing: a partition the application cannot
   * see (no reset, no error), so its requests on open connections wait for answers that never come. What is
   * sent meanwhile is dropped: a connection paused once is of no use after {@link restore}.
   */
  | 'paused';

/**
 * A TCP proxy between an application and a server (e.g. PostgreSQL), to cut the link, black-hole
 * it, or add latency while the application runs.
 */
export class TcpProxy {
  private state: ProxyState = 'open';
  private latencyMs = 0;
  private readonly sockets = new Set<net.Socket>();
  // NOTE: half-open sockets, so that a paused proxy can leave an application's FIN unanswered as a partition would.
  private readonly server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free local port. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Sets the state; `'refusing'` and `'silent'` drop every connection through the proxy. */
  setState(state: ProxyState): void {
    this.state = state;
    if (state === 'refusing' || state === 'silent') this.dropAll();
  }

  /** Cuts the link: every connection, open or new, is reset. */
  cut(): void {
    this.setState('refusing');
  }

  /** Forwards again, without added latency. */
  restore(): void {
    this.setState('open');
    this.setLatency(0);
  }

  /** Delays every chunk, in both directions, by `ms`. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    if (this.state === 'refusing') return void client.resetAndDestroy();
    if (this.state === 'silent' || this.state === 'paused') return void client.on('data', () => undefined);
    const upstream = net.connect({ port: this.target.port, host: this.target.host, allowHalfOpen: true });
    this.track(upstream);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  private pipe(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk) => {
      if (this.state === 'paused') return;
      if (this.latencyMs === 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), this.latencyMs);
    });
    from.on('end', () => this.state === 'paused' || to.end());
    from.on('close', () => this.state === 'paused' || to.destroy());
    from.on('error', () => to.destroy());
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }
}

/** Starts a {@link TcpProxy} to `target` on a free local port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const proxy = new TcpProxy(target);
  await proxy.listen();
  return proxy;
}
