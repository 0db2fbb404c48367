import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { createExampleApp } from '../src/app.factory';
import { exampleAppEnvironment } from './support/example-app-environment';
import { clearQueuePrefix, type HttpAdapterName } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';

const adapters: HttpAdapterName[] = ['express', 'fastify'];

const REQUEST_TIMEOUT_MS = 1000;
const HEADERS_TIMEOUT_MS = 500;
const KEEP_ALIVE_TIMEOUT_MS = 2000;
const CHECK_INTERVAL_MS = 250;
/** Node.js ends an expired request at its next check of the connections; the margin is for a busy machine. */
const MARGIN_MS = 1500;

/** How a connection that never finished its request ended: after how long, and with which answer ('' for none). */
interface Ending {
  closedAfterMs: number | null;
  answer: string;
}

/**
 * Opens a connection and writes `sent` (a request that is never finished), then nothing. Resolves when the
 * server ends the connection, or with `closedAfterMs: null` when it still held it after `waitMs`.
 */
function stall(port: number, sent: string, waitMs: number): Promise<Ending> {
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(sent));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: null, answer });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, answer: answer.split('\r\n', 1)[0] });
    });
  });
}

describe.each(adapters)('example app on %s: a request that is never finished does not hold its connection', (adapter) => {
  const schema = uniqueName(`example_timeouts_${adapter}`);
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    await createSchema(schema);
    ({ app } = await createExampleApp({
      environment: exampleAppEnvironment(schema, {
        HTTP_ADAPTER: adapter,
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
        HTTP_CONNECTIONS_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
      }),
      logger: ['error'],
    }));
    await app.listen(0, '127.0.0.1');
    port = Number(new URL((await app.getUrl()).replace('[::1]', '127.0.0.1')).port);
  });

  afterAll(async () => {
    await app?.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('ends a slow upload (Content-Length: 1000, a few bytes sent) at HTTP_REQUEST_TIMEOUT_MS, answering 408', async () => {
    const bound = REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS;
    const upload =
      'POST /webhooks/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"event":';
    const ending = await stall(port, upload, bound);
    expect(ending.closedAfterMs).not.toBeNull();
    expect(ending.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(ending.answer).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('gives its HTTP server the configured headers and keep-alive timeouts', () => {
    const server = app.getHttpServer() as Server;
    expect({ headersTimeout: server.headersTimeout, keepAliveTimeout: server.keepAliveTimeout }).toEqual({
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    });
  });
});
