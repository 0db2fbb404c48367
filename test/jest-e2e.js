const path = require('node:path');
const base = require('./jest/jest.base');

/**
 * End-to-end specs against the real PostgreSQL and Redis (started for the run where none answers,
 * see test/support/global-setup.ts), the queue on Redis.
 */
module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '..'),
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  testTimeout: 60_000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  globals: { TEST_QUEUE_BACKEND: 'redis' },
};
