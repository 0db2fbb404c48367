// Nest 12 ships ES modules only; Jest (CommonJS mode on Node 20) needs them compiled to CommonJS.
const path = require('node:path');

const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
  'load-esm',
  'uid',
  '@standard-schema',
];

module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
    '^.+\\.m?js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [
          path.join(__dirname, 'drop-create-require.babel.js'),
          'babel-plugin-transform-import-meta',
          '@babel/plugin-transform-modules-commonjs',
        ],
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@opensms/nestjs-webhooks$': '<rootDir>/libs/opensms-webhook/src',
    '^@opensms/nestjs-webhooks/(.*)$': '<rootDir>/libs/opensms-webhook/src/$1',
  },
};
