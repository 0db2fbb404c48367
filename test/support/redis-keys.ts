import { Redis, type RedisOptions } from 'ioredis';

/** Deletes every key under `prefix` (BullMQ keys of one test file or benchmark run, nothing else). */
export async function deleteKeysWithPrefix(connection: RedisOptions, prefix: string): Promise<void> {
  const redis = new Redis(connection);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
