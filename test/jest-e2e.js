const path = require('node:path');
const base = require('./jest/jest.base');

/** End-to-end specs against the real PostgreSQL and Redis. */
module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '..'),
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  testTimeout: 60_000,
  maxWorkers: 2,
};
