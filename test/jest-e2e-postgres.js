const redisBackend = require('./jest-e2e');

/**
 * The pipeline and fault specs again, the queue on BullMQ's PostgreSQL backend (no Redis). The
 * specs of ingest-only concerns (signatures, bodies, console, CLI, package), of Redis itself, and
 * of the example app, demo and README ran in the first pass; they do not depend on the backend.
 */
const PIPELINE_SPECS = [
  'smoke',
  'ingest',
  'processing',
  'dispatch',
  'reprocess',
  'overload',
  'faults/two-workers',
  'faults/worker-crash',
  'faults/postgres-faults',
  'faults/concurrent-duplicates',
  'faults/shutdown',
  'operations/health',
  'pgbouncer',
];

module.exports = {
  ...redisBackend,
  globals: { TEST_QUEUE_BACKEND: 'postgres' },
  testRegex: undefined,
  testMatch: PIPELINE_SPECS.map((spec) => `<rootDir>/test/${spec}.e2e-spec.ts`),
};
