import net from 'node:net';
import { Client } from 'pg';

const PROBE_TIMEOUT_MS = 2000;

/** Why a PostgreSQL server does not answer, or `undefined` when it accepts a session. */
export async function probePostgres(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return describe(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Why a Redis server does not answer, or `undefined` when it answers PING (an authentication
 * error is an answer too: the server is there). Plain TCP, so nothing lingers after a refusal.
 */
export function probeRedis(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done('no answer within 2 s'));
    socket.once('error', (error) => done(describe(error)));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString()) ? undefined : 'not a Redis server'));
  });
}

/** A URL as safe to print: its password replaced. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
