import net from 'node:net';

/** An HTTP answer as it came over the socket. */
export interface RawHttpResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its values joined by `, `. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one HTTP/1.1 request exactly as written, request target included (e.g. the absolute form
 * `http://host/path` that `fetch` never sends), on a fresh connection that the server closes after
 * answering.
 */
export function rawHttpRequest(
  serverUrl: string,
  request: { method: string; target: string; headers: Record<string, string>; body?: string },
): Promise<RawHttpResponse> {
  const { hostname, port } = new URL(serverUrl);
  const body = request.body ?? '';
  const headers = { ...request.headers, connection: 'close', 'content-length': String(Buffer.byteLength(body)) };
  const head = [`${request.method} ${request.target} HTTP/1.1`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(`${head.join('\r\n')}\r\n\r\n${body}`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/**
 * A keep-alive connection that writes each request at once, in the caller's tick (so that a spec can
 * have it waiting in the server's socket before the server can read it), and reads the answers in order.
 */
export class RawHttpConnection {
  private received = Buffer.alloc(0);
  private readonly waiters: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly host: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  /** Connects to `serverUrl`; resolves once the connection is open. */
  static open(serverUrl: string): Promise<RawHttpConnection> {
    const { hostname, port, host } = new URL(serverUrl);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => {
        socket.off('error', reject);
        resolve(new RawHttpConnection(socket, host));
      });
      socket.once('error', reject);
    });
  }

  /** Writes one request to the socket now; its answer is the next one {@link response} reads. */
  send(request: { method: string; target: string; headers: Record<string, string>; body?: string }): void {
    const body = request.body ?? '';
    const headers = { host: this.host, ...request.headers, 'content-length': String(Buffer.byteLength(body)) };
    const head = [`${request.method} ${request.target} HTTP/1.1`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    this.socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  }

  /** The next answer on the connection (its body framed by `Content-Length`). */
  async response(): Promise<RawHttpResponse> {
    for (;;) {
      const split = this.received.indexOf('\r\n\r\n');
      if (split >= 0) {
        const length = Number(/^content-length:\s*(\d+)/im.exec(this.received.subarray(0, split).toString('latin1'))?.[1]);
        if (!Number.isInteger(length)) throw new Error('A keep-alive answer without Content-Length');
        const end = split + 4 + length;
        if (this.received.length >= end) {
          const text = this.received.subarray(0, end).toString('utf8');
          this.received = this.received.subarray(end);
          return parseResponse(text);
        }
      }
      if (this.closed) throw new Error('The server closed the connection before answering');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function parseResponse(text: string): RawHttpResponse {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`Not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const rest = text.slice(split + 4);
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: /chunked/i.test(headers['transfer-encoding'] ?? '') ? unchunk(rest) : rest,
  };
}

/** The body of a chunked transfer (chunk sizes count bytes). */
function unchunk(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}
