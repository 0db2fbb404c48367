import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresServer, removeAbandonedFolders } from '../../src/dev-database/embedded-postgres.server';
import { RedisServerProcess, freePort } from './redis-server';
import { describeProblems, planTestServers } from './test-servers';

/** Temporary folders of the tests' embedded PostgreSQL start with this name. */
const EMBEDDED_FOLDER_PREFIX = 'opensms-test-postgres-';

/** What the run started, for global-teardown.ts (same process, kept on globalThis). */
export interface TestServers {
  postgres?: EmbeddedPostgresServer;
  redis?: RedisServerProcess;
}
const servers = globalThis as { openSmsTestServers?: TestServers };
export const testServers: TestServers = (servers.openSmsTestServers ??= {});

/**
 * Before any spec: the servers the tests need, on either queue backend (the PostgreSQL pass
 * needs a Redis too: the health specs check one). Where PostgreSQL and Redis answer (CI), nothing
 * changes; else an embedded PostgreSQL and a `redis-server` from the PATH are started (see
 * test-servers.ts). When something is missing, the run stops at once with one message naming it
 * all, and nothing left running. Workers and child processes learn the servers through
 * TEST_DATABASE_URL / TEST_REDIS_PORT.
 */
export default async function globalSetup(_: unknown, project: { globals?: Record<string, unknown> }): Promise<void> {
  const backend = project.globals?.TEST_QUEUE_BACKEND;
  if (backend === 'postgres' || backend === 'redis') process.env.TEST_QUEUE_BACKEND = backend;

  const plan = await planTestServers(process.env, { redisServer: false });
  const problems = describeProblems(plan.problems, 'The end-to-end tests');
  if (problems) throw new Error(problems);
  try {
    if ('embedded' in plan.postgres) {
      await removeAbandonedFolders(os.tmpdir(), EMBEDDED_FOLDER_PREFIX);
      const postgres = await EmbeddedPostgresServer.start({
        folder: mkdtempSync(path.join(os.tmpdir(), EMBEDDED_FOLDER_PREFIX)),
        temporary: true,
      });
      testServers.postgres = postgres;
      await postgres.ensureDatabase('test');
      process.env.TEST_DATABASE_URL = postgres.url.replace(/\/postgres$/, '/test');
      console.log(`\nThe tests use an embedded PostgreSQL at ${process.env.TEST_DATABASE_URL} (${plan.postgres.why}).`);
    } else {
      process.env.TEST_DATABASE_URL = plan.postgres.url;
    }
    if ('spawn' in plan.redis) {
      const redis = new RedisServerProcess(await freePort());
      testServers.redis = redis;
      await redis.start();
      process.env.TEST_REDIS_PORT = String(redis.port);
      console.log(`\nThe tests use a redis-server on port ${redis.port} (${plan.redis.why}).`);
    } else {
      process.env.TEST_REDIS_HOST = plan.redis.host;
      process.env.TEST_REDIS_PORT = String(plan.redis.port);
    }
  } catch (error) {
    // NOTE: Jest runs no global teardown after a global setup that failed.
    await stopTestServers();
    throw error;
  }
}

/** Stops what {@link globalSetup} started. */
export async function stopTestServers(): Promise<void> {
  await testServers.redis?.stop();
  await testServers.postgres?.stop();
  testServers.redis = undefined;
  testServers.postgres = undefined;
}
