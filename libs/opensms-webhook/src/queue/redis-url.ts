import { isIP } from 'node:net';
import type { RedisOptions } from 'bullmq';
import { InvalidRedisUrlError } from '../errors/invalid-redis-url.error';

/**
 * ioredis options of a `redis://[user:password@]host[:port][/db]` URL, for the `queue.connection` option.
 * `rediss://` connects with TLS (the server's certificate is verified); the user name (Redis ACL),
 * the password and the database number are kept.
 *
 * ```ts
 * OpenSmsWebhookModule.forRoot({ secret, queue: { connection: redisOptionsFromUrl(process.env.REDIS_URL!) } })
 * ```
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidRedisUrlError('The Redis URL is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidRedisUrlError(`The Redis URL has the scheme "${parsed.protocol}"`);
  }
  const database = parsed.pathname.replace(/^\//, '');
  if (database !== '' && !/^\d+$/.test(database)) {
    throw new InvalidRedisUrlError(`The Redis URL's database "${database}" is not a number`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new InvalidRedisUrlError('The Redis URL has no host');
  return {
    host,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(database !== '' ? { db: Number(database) } : {}),
    // NOTE: the server name (SNI, certificate check) is the host, unless it is an IP address.
    ...(parsed.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  };
}
