import { join } from 'node:path';
import { register } from 'tsconfig-paths';

/** Resolves the library's `@opensms/nestjs-webhooks` alias to its compiled output next to the bench's. */
register({
  baseUrl: join(__dirname, '..'),
  paths: {
    '@opensms/nestjs-webhooks': ['libs/opensms-webhook/src'],
    '@opensms/nestjs-webhooks/*': ['libs/opensms-webhook/src/*'],
  },
});
