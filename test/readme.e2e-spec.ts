import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;

/** npm's own commands that need no script in package.json. */
const NPM_COMMANDS = new Set(['ci', 'install', 'i', 'exec']);

/** Members of an exported interface of the options file. */
function interfaceMembers(source: string, name: string): string[] {
  const start = source.indexOf(`export interface ${name} {`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((match) => match[1]);
}

/** Names a barrel file exports (`export { a, type B } from …`), following `export * from './x'`. */
function exportedNames(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const named = [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap(([, list]) =>
    list
      .split(',')
      .map((entry) => entry.replace(/^\s*type\s+/, '').trim())
      .filter(Boolean),
  );
  const starred = [...source.matchAll(/export \* from '(\.[^']*)'/g)].flatMap(([, target]) =>
    exportedNames(path.join(path.dirname(file), target, 'index.ts')),
  );
  return [...named, ...starred];
}

describe('README', () => {
  it('names only npm scripts that package.json defines', () => {
    const commands = [...readme.matchAll(/\bnpm (run )?([a-z][\w:-]*)/g)];
    expect(commands.length).toBeGreaterThan(0);
    const missing = commands
      .filter(([, run, name]) => !(name in scripts) && (run !== undefined || !NPM_COMMANDS.has(name)))
      .map(([command]) => command);
    expect(missing).toEqual([]);
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
  });

  it('documents every module option', () => {
    const options = readFileSync(path.join(root, 'libs/opensms-webhook/src/opensms-webhook-options.interface.ts'), 'utf8');
    const names = [...interfaceMembers(options, 'OpenSmsWebhookModuleOptions'), ...interfaceMembers(options, 'OpenSmsWebhookModuleExtras')];
    expect(names).toContain('secret');
    const undocumented = names.filter((name) => !readme.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });

  it('lists every export of the package and of its subpaths, in backticks', () => {
    const library = path.join(root, 'libs/opensms-webhook');
    const { exports } = JSON.parse(readFileSync(path.join(library, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { default: string }>;
    };
    // NOTE: each entry's source is its compiled file's, `./dist/<x>.js` built from `src/<x>.ts`.
    const entries = Object.values(exports).flatMap((target) =>
      typeof target === 'string' ? [] : [path.join(library, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))],
    );
    expect(entries.map((entry) => path.relative(library, entry))).toEqual(
      expect.arrayContaining(['src/index.ts', 'src/testing/index.ts', 'src/health/index.ts']),
    );
    const names = entries.flatMap(exportedNames);
    expect(names).toEqual(
      expect.arrayContaining(['OpenSmsWebhookModule', 'OpenSmsWebhookModuleAsyncOptions', 'signWebhook', 'OpenSmsWebhookHealthIndicator']),
    );
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('documents every console option', () => {
    const options = readFileSync(path.join(root, 'libs/opensms-webhook/src/console/opensms-webhook-console-options.interface.ts'), 'utf8');
    const names = [
      ...interfaceMembers(options, 'OpenSmsWebhookConsoleOptions'),
      ...interfaceMembers(options, 'OpenSmsWebhookConsoleExtras'),
    ];
    expect(names).toEqual(expect.arrayContaining(['authorize', 'guards', 'path']));
    const section = readme.slice(readme.indexOf('## Console'), readme.indexOf('## Testing kit'));
    expect(names.filter((name) => !section.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
