import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';

/** The PostgreSQL server the tests use (a fresh machine runs one on 127.0.0.1:5432, trust auth). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS = {
  host: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_REDIS_PORT ?? 6379),
};

/**
 * Where the test apps keep their jobs: `redis` (default) or `postgres` (BullMQ's PostgreSQL
 * backend, in a schema of each queue prefix); `npm test` runs the suites on both.
 */
export const TEST_QUEUE_BACKEND: 'redis' | 'postgres' = process.env.TEST_QUEUE_BACKEND === 'postgres' ? 'postgres' : 'redis';

/** The BullMQ PostgreSQL schema of a queue prefix (a hash: prefixes may be longer than a schema name can be). */
export function queueSchemaOf(queuePrefix: string): string {
  return `q_${createHash('sha256').update(queuePrefix).digest('hex').slice(0, 24)}`;
}

/** A name unique to this test file and run, safe as a schema name and a queue prefix. */
export function uniqueName(label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  return `t_${slug}_${process.pid}_${Date.now().toString(36)}`;
}

/** Creates an empty schema; each test file works in its own, so files never see each other's rows. */
export async function createSchema(schema: string): Promise<void> {
  const admin = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL });
  await admin.initialize();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.destroy();
  }
}

/** Drops a schema created by {@link createSchema}. */
export async function dropSchema(schema: string): Promise<void> {
  const admin = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL });
  await admin.initialize();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.destroy();
  }
}

/**
 * A connection whose `search_path` is a test schema, so plain SQL sees that file's tables; for
 * assertions on rows, also after an app closed. Destroy it in afterAll.
 */
export async function connectToSchema(schema: string): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: TEST_DATABASE_URL,
    schema,
    extra: { max: 2, options: `-c search_path="${schema}"` },
  });
  return dataSource.initialize();
}
