import { probePostgres, probeRedis, redactUrl } from '../../src/dev-database/server.probe';
import { embeddedPostgresUnavailable } from '../../src/dev-database/embedded-postgres.server';
import { findOnPath } from './path-lookup';

/** The command a test run starts its own Redis servers with. */
export const REDIS_SERVER_COMMAND = 'redis-server';

/** The servers a test run will use, as {@link planTestServers} found them. */
export interface TestServerPlan {
  /** A PostgreSQL that answers, or `embedded`: the run starts one. */
  postgres: { url: string; why: string } | { embedded: true; why: string };
  /** A Redis that answers, or `spawn`: the run starts a `redis-server`. */
  redis: { host: string; port: number; why: string } | { spawn: true; why: string };
  /** Where `redis-server` is, when it is on the PATH. */
  redisServer?: string;
  /** What is missing, each with how to get it; empty when the run can start. */
  problems: string[];
}

/** What a run needs beyond PostgreSQL and Redis. */
export interface TestServerNeeds {
  /** `redis-server` on the PATH even where a Redis answers (the Redis fault specs start private ones). */
  redisServer: boolean;
}

/**
 * Finds the servers of a test run without starting anything. A variable that is set must answer:
 * `TEST_DATABASE_URL`, `TEST_REDIS_HOST` / `TEST_REDIS_PORT`. Otherwise a server of your own on
 * 127.0.0.1 is used when it answers (on `TEST_PROBE_POSTGRES_PORT`, default 5432, database `test`;
 * on `TEST_PROBE_REDIS_PORT`, default 6379), else the run starts an embedded PostgreSQL (from
 * node_modules) and a `redis-server` (from the PATH).
 */
export async function planTestServers(environment: NodeJS.ProcessEnv, needs: TestServerNeeds): Promise<TestServerPlan> {
  const [postgresProblems, redisProblems]: string[][] = [[], []];
  const [postgres, redis] = await Promise.all([planPostgres(environment, postgresProblems), planRedis(environment, redisProblems)]);
  const problems = [...postgresProblems, ...redisProblems];
  const redisServer = findOnPath([REDIS_SERVER_COMMAND], environment.PATH ?? '');
  if (!redisServer && ('spawn' in redis || needs.redisServer)) {
    const why = 'spawn' in redis ? redis.why : 'the Redis fault specs start private ones';
    problems.push(
      `Redis: no ${REDIS_SERVER_COMMAND} on the PATH (${why}). Install one: apt-get install redis-server, ` +
        'brew install redis, or any package manager’s redis.',
    );
  }
  return { postgres, redis, redisServer, problems };
}

/** The problems of a plan as one message, or `undefined` when there are none. */
export function describeProblems(problems: readonly string[], what: string): string | undefined {
  if (problems.length === 0) return undefined;
  return [`${what} cannot start; missing on this machine:`, ...problems.map((problem) => `  - ${problem}`), 'Nothing was started.'].join(
    '\n',
  );
}

async function planPostgres(environment: NodeJS.ProcessEnv, problems: string[]): Promise<TestServerPlan['postgres']> {
  const configured = environment.TEST_DATABASE_URL?.trim();
  if (configured) {
    const reason = await probePostgres(configured);
    if (reason) {
      problems.push(
        `PostgreSQL: TEST_DATABASE_URL (${redactUrl(configured)}) does not answer (${reason}). Start that server or fix ` +
          'TEST_DATABASE_URL; unset it to use one on 127.0.0.1:5432 or an embedded PostgreSQL.',
      );
    }
    return { url: configured, why: 'TEST_DATABASE_URL' };
  }
  const url = `postgres://postgres@127.0.0.1:${environment.TEST_PROBE_POSTGRES_PORT?.trim() || 5432}/test`;
  const reason = await probePostgres(url);
  if (reason === undefined) return { url, why: 'answering, TEST_DATABASE_URL unset' };
  const unavailable = embeddedPostgresUnavailable();
  if (unavailable) {
    problems.push(
      `PostgreSQL: nothing answers at ${url} (${reason}) and no embedded one can start: ${unavailable}. Or start a ` +
        'PostgreSQL there (user postgres without a password, a database named test), e.g. `docker compose up -d`.',
    );
  }
  return { embedded: true, why: `nothing answers at ${url}` };
}

async function planRedis(environment: NodeJS.ProcessEnv, problems: string[]): Promise<TestServerPlan['redis']> {
  const configured = !!(environment.TEST_REDIS_HOST?.trim() || environment.TEST_REDIS_PORT?.trim());
  const host = (configured && environment.TEST_REDIS_HOST?.trim()) || '127.0.0.1';
  const port = Number((configured ? environment.TEST_REDIS_PORT : environment.TEST_PROBE_REDIS_PORT)?.trim() || 6379);
  const reason = await probeRedis(`redis://${host}:${port}`);
  if (configured) {
    if (reason) {
      problems.push(
        `Redis: TEST_REDIS_HOST/TEST_REDIS_PORT (${host}:${port}) does not answer (${reason}). Start that server or fix ` +
          'the variables; unset them to use one on 127.0.0.1:6379 or a redis-server the run starts.',
      );
    }
    return { host, port, why: 'TEST_REDIS_HOST/TEST_REDIS_PORT' };
  }
  if (reason === undefined) return { host, port, why: 'answering, TEST_REDIS_HOST/TEST_REDIS_PORT unset' };
  return { spawn: true, why: `nothing answers on ${host}:${port}` };
}
