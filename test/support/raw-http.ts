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
