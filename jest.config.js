const base = require('./test/jest/jest.base');

/** Unit specs, next to the code. */
module.exports = {
  ...base,
  rootDir: '.',
  roots: ['<rootDir>/libs', '<rootDir>/src', '<rootDir>/tools'],
  testRegex: '\\.spec\\.ts$',
};
