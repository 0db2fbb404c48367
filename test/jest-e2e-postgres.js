const redisBackend = require('./jest-e2e');

/**
 * The pipeline and fault specs again, the queue on BullMQ's PostgreSQL backend (no Redis). Left
 * out: faults and checks of Redis itself, and the example app, demo and README specs (they choose
 * their servers themselves and ran in the first pass).
 */
module.exports = {
  ...redisBackend,
  globals: { TEST_QUEUE_BACKEND: 'postgres' },
  testPathIgnorePatterns: [
    '/node_modules/',
    '/test/faults/redis-faults\\.e2e-spec\\.ts$',
    '/test/redis-outage\\.e2e-spec\\.ts$',
    '/test/eviction-policy\\.e2e-spec\\.ts$',
    '/test/postgres-queue\\.e2e-spec\\.ts$',
    '/test/demo\\.e2e-spec\\.ts$',
    '/test/example-app\\.e2e-spec\\.ts$',
    '/test/dev-database\\.e2e-spec\\.ts$',
    '/test/readme\\.e2e-spec\\.ts$',
  ],
};
