import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { type HttpAdapterName, useTestApp } from './support/test-app';
import { postSigned, smsPayload } from './support/webhook-client';
import { LogCapture } from './support/log-capture';

const adapters: HttpAdapterName[] = ['express', 'fastify'];

/** Whether a POST to `url` reaches the webhook route (its unsigned call is answered 4xx but not 404) or no route. */
async function routeStatus(url: string): Promise<'reaches the route' | 'no route'> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await response.arrayBuffer();
  return response.status === 404 ? 'no route' : 'reaches the route';
}
const LIMIT = 64 * 1024;

/**
 * Starts an upload of which only `sent` bytes are ever written (the rest never comes) and resolves
 * with the status of the answer, or 0 when none came while the upload stayed open for `waitMs`.
 */
function stalledUpload(
  url: string,
  sent: number,
  { contentLength, waitMs = 10_000 }: { contentLength?: number; waitMs?: number },
): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (contentLength !== undefined) headers['content-length'] = contentLength;
    const request = httpRequest(url, { method: 'POST', headers });
    const timer = setTimeout(() => {
      request.destroy();
      resolve(0);
    }, waitMs);
    request.on('response', (response) => {
      clearTimeout(timer);
      response.resume();
      request.destroy();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => {
      clearTimeout(timer);
      resolve(0);
    });
    request.write(`{"event":"sms.delivered","padding":"${'x'.repeat(sent)}`);
  });
}

describe.each(adapters)('bodies are bounded before they are buffered on %s', (adapter) => {
  const logs = new LogCapture();
  const host = useTestApp(`body limit ${adapter}`, { adapter, logger: logs, serverDefaults: true });

  it('413 at once for a Content-Length over the limit, while the upload is still open', async () => {
    expect(await stalledUpload(host.endpoint, 1024, { contentLength: LIMIT + 6 * 1024 })).toBe(413);
  });

  it('413 as soon as a chunked upload passes the limit, while the upload is still open', async () => {
    expect(await stalledUpload(host.endpoint, LIMIT + 6 * 1024, {})).toBe(413);
  });

  it.each(['/WEBHOOKS/SMS', '/Webhooks/Sms/'])('413 at once on %s too, a path the router sends to the webhook route', async (variant) => {
    const route = await routeStatus(`${host.url}${variant}`);
    // NOTE: Express routes paths case-insensitively and with a trailing slash; Fastify only the exact path.
    expect(route).toBe(adapter === 'express' ? 'reaches the route' : 'no route');
    if (route === 'reaches the route') {
      expect(await stalledUpload(`${host.url}${variant}`, 1024, { contentLength: LIMIT + 6 * 1024, waitMs: 5000 })).toBe(413);
    }
  });

  it('413 for a body of 2 MiB, nothing stored', async () => {
    const service = host.app.get(OpenSmsWebhookService);
    const before = Object.values(await service.countByState()).reduce((sum, count) => sum + count, 0);
    const response = await postSigned(host.endpoint, smsPayload({ message_id: 'msg_huge', padding: 'x'.repeat(2 * 1024 * 1024) }));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ statusCode: 413 });
    expect(Object.values(await service.countByState()).reduce((sum, count) => sum + count, 0)).toBe(before);
  });

  it('a body within the limit is still verified over its exact bytes', async () => {
    const response = await postSigned(host.endpoint, smsPayload({ message_id: 'msg_within', padding: 'x'.repeat(LIMIT - 1024) }));
    expect(response.status).toBe(200);
  });

  it('logs the webhook route under the name of its controller', () => {
    expect(logs.lines.some((line) => /^OpenSmsWebhookController \{\/webhooks\/sms\}/.test(line))).toBe(true);
  });

  it(`warns at start-up when a stalled upload could hold its connection for ever or for minutes (${adapter === 'fastify' ? 'Fastify requestTimeout 0' : "Express: Node.js's 300 s"}), naming the lines that bound it`, () => {
    const warnings = logs.lines.filter((line) => line.includes("The HTTP server's requestTimeout is"));
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    if (adapter === 'fastify') {
      expect(warning).toContain('requestTimeout is 0: a stalled upload holds its connection for ever');
      expect(warning).toContain(
        'new FastifyAdapter({ requestTimeout: 30_000, keepAliveTimeout: 5000, http: { headersTimeout: 10_000, connectionsCheckingInterval: 1000 } })',
      );
    } else {
      expect(warning).toContain('requestTimeout is 300000 ms (Node.js default 300000): too long for a webhook');
      expect(warning).toContain(
        'server.requestTimeout = 30_000; server.headersTimeout = 10_000; server.keepAliveTimeout = 5000; server.connectionsCheckingInterval = 1000',
      );
    }
    expect(warning).toContain('so the bound is the timeout plus that interval');
  });
});

describe("a JSON parser the host added to the Express instance itself, before the module's limit", () => {
  const logs = new LogCapture();
  // NOTE: reads every body to its end before Nest's middleware runs, as express.json() given to the instance would.
  const readsBodiesFirst = (request: IncomingMessage, _response: ServerResponse, next: () => void) => {
    request.on('data', () => undefined).on('end', () => next());
  };
  const host = useTestApp('body parser first', { logger: logs, expressMiddleware: readsBodiesFirst });

  it('answers the call (500: no raw body to verify) instead of waiting for a body already read, and says how to fix the set-up', async () => {
    const response = await postSigned(host.endpoint, smsPayload({ message_id: 'msg_parser_first' }));
    expect(response.status).toBe(500);
    expect(logs.lines.filter((line) => line.includes('A JSON body parser runs before'))).toHaveLength(1);
    expect(logs.lines.join('\n')).toContain('app.useBodyParser()');
  });
});
