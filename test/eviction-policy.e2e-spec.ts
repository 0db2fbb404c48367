import type { LoggerService } from '@nestjs/common';
import { type RedisServerProcess, startRedisServer } from './support/redis-server';
import { useTestApp, waitFor } from './support/test-app';

/** Keeps every warning an app logs. */
class WarningRecorder implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

describe('start-up check of the Redis eviction policy', () => {
  const recorder = new WarningRecorder();
  let redis: RedisServerProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    await redis.configSet('maxmemory-policy', 'allkeys-lru');
  });

  useTestApp('eviction_policy', () => ({
    logger: recorder,
    options: { queue: { connection: { host: '127.0.0.1', port: redis.port } } },
  }));

  // NOTE: declared after the app, so that the app has closed before its Redis goes away.
  afterAll(async () => {
    await redis?.stop();
  });

  it("warns when Redis may evict queued jobs, and says to use 'noeviction'", async () => {
    await waitFor('the eviction warning', () => recorder.warnings.some((line) => line.includes('maxmemory-policy')));
    const warning = recorder.warnings.find((line) => line.includes('maxmemory-policy'));
    expect(warning).toContain('"allkeys-lru"');
    expect(warning).toContain('noeviction');
  });
});
