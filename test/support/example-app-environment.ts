import { TEST_SECRET } from './test-app';
import { TEST_DATABASE_URL, TEST_REDIS } from './test-database';

/** The example app's environment on the test servers, in a schema and queue prefix of its own; `extra` adds or overrides settings. */
export function exampleAppEnvironment(schema: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: `redis://${TEST_REDIS.host}:${TEST_REDIS.port}`,
    OPENSMS_WEBHOOK_SECRET: TEST_SECRET,
    OPENSMS_QUEUE_PREFIX: schema,
    ...extra,
  };
}
