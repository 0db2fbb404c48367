import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresServer } from '../../src/dev-database/embedded-postgres.server';
import { probePostgres, probeRedis } from '../../src/dev-database/server.probe';
import { RedisServerProcess, freePort } from './redis-server';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** What the run started, for global-teardown.ts (same process, kept on globalThis). */
export interface TestServers {
  postgres?: EmbeddedPostgresServer;
  redis?: RedisServerProcess;
}
const servers = globalThis as { openSmsTestServers?: TestServers };
export const testServers: TestServers = (servers.openSmsTestServers ??= {});

/**
 * Before any spec: the servers the tests need. Where PostgreSQL and Redis answer (CI), nothing
 * changes. Where no PostgreSQL answers on the default URL, an embedded one is started; where no
 * Redis answers (and the run uses the Redis backend), a `redis-server` from the PATH is, or the run
 * stops at once saying how to get one. A URL set explicitly must answer. Workers and child
 * processes learn the servers through TEST_DATABASE_URL / TEST_REDIS_PORT.
 */
export default async function globalSetup(_: unknown, project: { globals?: Record<string, unknown> }): Promise<void> {
  const backend = project.globals?.TEST_QUEUE_BACKEND;
  if (backend === 'postgres' || backend === 'redis') process.env.TEST_QUEUE_BACKEND = backend;

  const databaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const databaseProblem = await probePostgres(databaseUrl);
  if (databaseProblem) {
    if (process.env.TEST_DATABASE_URL) throw new Error(`TEST_DATABASE_URL (${databaseUrl}) does not answer: ${databaseProblem}`);
    const postgres = await EmbeddedPostgresServer.start({
      folder: mkdtempSync(path.join(os.tmpdir(), 'opensms-test-postgres-')),
      temporary: true,
    });
    testServers.postgres = postgres;
    await postgres.ensureDatabase('test');
    process.env.TEST_DATABASE_URL = postgres.url.replace(/\/postgres$/, '/test');
    console.log(`\nNo PostgreSQL answered at ${DEFAULT_DATABASE_URL}: the tests use an embedded one at ${process.env.TEST_DATABASE_URL}`);
  }

  if (process.env.TEST_QUEUE_BACKEND === 'postgres') return;
  const host = process.env.TEST_REDIS_HOST ?? '127.0.0.1';
  const port = Number(process.env.TEST_REDIS_PORT ?? 6379);
  const redisProblem = await probeRedis(`redis://${host}:${port}`);
  if (!redisProblem) return;
  if (process.env.TEST_REDIS_PORT || process.env.TEST_REDIS_HOST) {
    throw new Error(`TEST_REDIS_HOST/TEST_REDIS_PORT (${host}:${port}) does not answer: ${redisProblem}`);
  }
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error) {
    throw new Error(
      `No Redis answers on ${host}:${port} and there is no redis-server on the PATH. Install one ` +
        '(apt install redis-server, brew install redis) or run `docker compose up -d`, then run the tests again.',
    );
  }
  const redis = new RedisServerProcess(await freePort());
  await redis.start();
  testServers.redis = redis;
  process.env.TEST_REDIS_PORT = String(redis.port);
  console.log(`\nNo Redis answered on ${host}:${port}: the tests use a redis-server on port ${redis.port}`);
}
