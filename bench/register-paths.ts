import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';

/** `dist-bench/`, where the library is compiled next to the bench. */
const root = join(__dirname, '..');
const library = JSON.parse(readFileSync(join(root, '../libs/opensms-webhook/package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string }>;
};

/**
 * Resolves `@opensms/nestjs-webhooks` and each of its subpaths to the compiled output next to the
 * bench's: the package's `exports` name each subpath's folder (`./metrics` is `dist/metrics`).
 */
const subpaths = Object.entries(library.exports).flatMap(([subpath, target]) =>
  typeof target === 'object' && subpath !== '.'
    ? [
        [
          `@opensms/nestjs-webhooks/${subpath.slice(2)}`,
          [target.types.replace(/^\.\/dist\//, 'libs/opensms-webhook/src/').replace(/\/index\.d\.ts$/, '')],
        ],
      ]
    : [],
);

register({
  baseUrl: root,
  paths: { '@opensms/nestjs-webhooks': ['libs/opensms-webhook/src'], ...Object.fromEntries(subpaths) },
});
