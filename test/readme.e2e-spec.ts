import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ts from 'typescript';
import { REPLACED_OPTIONS, resolveOpenSmsWebhookOptions } from '../libs/opensms-webhook/src/opensms-webhook.options';

const root = path.resolve(__dirname, '..');
const read = (page: string) => readFileSync(path.join(root, page), 'utf8');
const scripts: Record<string, string> = JSON.parse(read('package.json')).scripts;

const PACKAGE_README = 'libs/opensms-webhook/README.md';
/** The install line of each supported set of peers, the newest first (test/package.e2e-spec.ts runs them). */
const SUPPORTED_VERSIONS = 'docs/supported-versions.md';
const DOCS = readdirSync(path.join(root, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .sort()
  .map((file) => `docs/${file}`);
/** Every page of the documentation. */
const PAGES = ['README.md', 'CONTRIBUTING.md', ...DOCS, PACKAGE_README];
/** The pages whose ```ts blocks are compiled (CONTRIBUTING.md only shows how a block is written). */
const COMPILED_PAGES = ['README.md', ...DOCS, PACKAGE_README];
/** Where the package README's links point: the repository's files on GitHub. */
const REPOSITORY_URL = 'https://github.com/opensms/nestjs-webhooks/blob/main/';

const readme = read('README.md');
const library = path.join(root, 'libs/opensms-webhook');
const rootIndex = path.join(library, 'src/index.ts');
const servicePath = path.join(library, 'src/opensms-webhook.service.ts');

/** npm's own commands that need no script in package.json. */
const NPM_COMMANDS = new Set(['ci', 'install', 'i', 'exec', 'ls']);

/** Members of an exported interface of the options file. */
function interfaceMembers(source: string, name: string): string[] {
  const start = source.indexOf(`export interface ${name} {`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((match) => match[1]);
}

/** A page's lines with the fenced code blocks blanked out, so that only its prose is searched. */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const ticks = /^\s*(`{3,})/.exec(line)?.[1];
    if (fence === undefined && ticks !== undefined) fence = ticks;
    else if (fence !== undefined && line.trim() === fence) fence = undefined;
    else if (fence === undefined) return line;
    return '';
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a page's headings, as GitHub numbers repeated ones. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    let anchor = slug(heading);
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug(heading)}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** From a heading (`## Options`) to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const level = heading.indexOf(' ');
  const lines = markdown.split('\n');
  const prose = proseLines(markdown);
  const start = prose.indexOf(heading);
  if (start === -1) throw new Error(`no heading "${heading}"`);
  const end = prose.findIndex((line, index) => index > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** The cells of each row of the first table in a piece of markdown, header and separator left out. */
function firstTableRows(markdown: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  return lines.slice(start + 2, end === -1 ? undefined : end).map((row) =>
    row
      .replace(/\\\|/g, '\u0000')
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim().replace(/\u0000/g, '|')),
  );
}

/** Every row of every table of a page, as cells. */
function allTableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .map((row) =>
      row
        .replace(/\\\|/g, '\u0000')
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/\u0000/g, '|')),
    );
}

/** A default as the docs write it: a TypeScript literal, `{ a: 1 }`, `'x'`. */
function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{ ${Object.entries(value)
      .map(([key, field]) => `${key}: ${literal(field)}`)
      .join(', ')} }`;
  }
  return String(value);
}

/** The options of `forRoot()`, as the compiler sees them: top-level ones, `group.field` for each group, and the module-shaping ones. */
function moduleOptionNames(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(path.join(library, 'src/opensms-webhook-options.interface.ts'))!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
  const declared = (name: string) => {
    const symbol = exported.find((candidate) => candidate.name === name);
    if (symbol === undefined) throw new Error(`${name} is not exported by ${file.fileName}`);
    return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol));
  };
  const options = declared('OpenSmsWebhookModuleOptions').flatMap((option) => {
    const type = checker.getNonNullableType(checker.getTypeOfSymbol(option));
    // A group may also take a shorthand (`tracing: false`): its fields are those of the group's interface.
    const group = (type.isUnion() ? type.types : [type]).find((member) =>
      /^OpenSmsWebhook\w+Options$/.test(member.getSymbol()?.name ?? ''),
    );
    if (group === undefined) return [option.name];
    return checker.getPropertiesOfType(group).map((field) => `${option.name}.${field.name}`);
  });
  return [...options, ...declared('OpenSmsWebhookModuleExtras').map((extra) => extra.name)];
}

const backticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map(([, name]) => name);

interface CodeBlock {
  page: string;
  /** Line (1-based) of the block's first line of code. */
  line: number;
  code: string;
  /** The hidden lines of a `<!-- ts-prelude … -->` comment right above the block. */
  prelude?: { line: number; code: string };
}

/** The ```ts blocks of a page, each with the prelude comment above it. */
function tsBlocks(page: string): CodeBlock[] {
  const lines = read(page).split('\n');
  const blocks: CodeBlock[] = [];
  let prelude: CodeBlock['prelude'];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line === '<!-- ts-prelude') {
      const end = lines.indexOf('-->', index);
      prelude = { line: index + 2, code: lines.slice(index + 1, end).join('\n') };
      index = end;
      continue;
    }
    const fence = /^\s*(`{3,})(\w*)/.exec(line);
    if (prelude !== undefined && line.trim() !== '' && !(fence !== null && fence[2] === 'ts')) {
      throw new Error(`${page}:${prelude.line - 1}: a ts-prelude comment must stand right above a \`\`\`ts block`);
    }
    if (fence === null) continue;
    const end = lines.findIndex((other, at) => at > index && other.trim() === fence[1]);
    if (fence[2] === 'ts') blocks.push({ page, line: index + 2, code: lines.slice(index + 1, end).join('\n'), prelude });
    prelude = undefined;
    index = end;
  }
  return blocks;
}

/**
 * Stands in for packages the examples use that this repository does not install: only the members
 * the examples use, as the packages declare them.
 */
const STUBS = {
  path: path.join(root, '.doc-blocks', 'uninstalled-packages.d.ts'),
  source: `
declare module '@opentelemetry/sdk-node' {
  export class NodeSDK {
    constructor(configuration?: { traceExporter?: unknown; instrumentations?: unknown[] });
    start(): void;
    shutdown(): Promise<void>;
  }
}
declare module '@opentelemetry/exporter-trace-otlp-http' {
  export class OTLPTraceExporter {
    constructor(config?: { url?: string; headers?: Record<string, string> });
  }
}
declare module '@opentelemetry/auto-instrumentations-node' {
  export function getNodeAutoInstrumentations(config?: Record<string, unknown>): unknown[];
}
`,
};

/**
 * Compiles every ```ts block of the pages in one program with the repository's tsconfig.json (the
 * library from its sources), each block as a module of its own: `<page>/<name>.ts` when its first
 * line is a comment naming a file (`// app.module.ts`), so that the blocks of a page can import one
 * another, else `<page>/block-<n>.ts`. A block's prelude comes before its code. The library's
 * entries are part of the program, for their exports.
 */
function compileDocs(): { program: ts.Program; blocks: number; errors: string[] } {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error('tsconfig.json cannot be read');
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, incremental: false };

  const files = new Map<string, { source: string; block?: CodeBlock }>([[STUBS.path, { source: STUBS.source }]]);
  for (const page of COMPILED_PAGES) {
    tsBlocks(page).forEach((block, index) => {
      const name = /^\/\/ ([\w.-]+\.ts)\b/.exec(block.code)?.[1] ?? `block-${index + 1}.ts`;
      const file = path.join(root, '.doc-blocks', page.replace(/\W/g, '_'), name);
      if (files.has(file)) throw new Error(`${page}:${block.line}: a second block named ${name}`);
      files.set(file, { source: block.prelude ? `${block.prelude.code}\n${block.code}` : block.code, block });
    });
  }
  const directories = new Set([...files.keys()].map((file) => path.dirname(file)));

  const host = ts.createCompilerHost(options);
  const { readFile, getSourceFile, fileExists, directoryExists } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file)?.source ?? readFile.call(host, file);
  host.directoryExists = (directory) =>
    [...directories].some((virtual) => virtual === directory || virtual.startsWith(`${directory}${path.sep}`)) ||
    (directoryExists?.call(host, directory) ?? ts.sys.directoryExists(directory));
  host.getSourceFile = (file, languageVersion, ...rest) => {
    const virtual = files.get(file);
    return virtual !== undefined
      ? ts.createSourceFile(file, virtual.source, languageVersion, true)
      : getSourceFile.call(host, file, languageVersion, ...rest);
  };

  const program = ts.createProgram({ rootNames: [...files.keys(), ...entryIndexes()], options, host });
  const where = (block: CodeBlock, sourceLine: number) => {
    const preludeLines = block.prelude ? block.prelude.code.split('\n').length : 0;
    return sourceLine < preludeLines
      ? `${block.page}:${block.prelude!.line + sourceLine} (prelude)`
      : `${block.page}:${block.line + sourceLine - preludeLines}`;
  };
  const errors = program.getOptionsDiagnostics().map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  for (const [file, { block }] of files) {
    if (block === undefined) continue;
    const sourceFile = program.getSourceFile(file)!;
    for (const diagnostic of [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]) {
      if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
      const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      errors.push(`${where(block, line)}: TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
  }
  return { program, blocks: files.size - 1, errors };
}

/** The source index of each published `dist/<folder>/index.d.ts` of the package. */
function entryIndexes(): string[] {
  const { exports } = JSON.parse(readFileSync(path.join(library, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string }>;
  };
  return Object.values(exports)
    .filter((target) => typeof target === 'object')
    .map(({ types }) => path.join(library, types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')));
}

/** The names a module exports, as the compiler sees them (re-exports and `export *` followed). */
function exportsOf(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
  if (module === undefined) throw new Error(`${file} is no module`);
  return checker.getExportsOfModule(module).map((symbol) => symbol.name);
}

/** The public methods of a class of a source file. */
function publicMethods(program: ts.Program, file: string, className: string): string[] {
  const declaration = program
    .getSourceFile(file)!
    .statements.find(
      (statement): statement is ts.ClassDeclaration => ts.isClassDeclaration(statement) && statement.name?.text === className,
    );
  if (declaration === undefined) throw new Error(`no class ${className} in ${file}`);
  const hidden = [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword];
  return declaration.members
    .filter((member): member is ts.MethodDeclaration => ts.isMethodDeclaration(member) && ts.isIdentifier(member.name))
    .filter((method) => !method.modifiers?.some((modifier) => hidden.includes(modifier.kind)))
    .map((method) => (method.name as ts.Identifier).text);
}

const ARCHITECTURE = 'docs/architecture.md';
const librarySource = path.join(library, 'src');

/** The top-level folders of the library's source, as the architecture page names them (`ingest/`). */
function topLevelFolders(): string[] {
  return readdirSync(librarySource, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${entry.name}/`);
}

/** The library's source files, specs and type tests left out (as `tools/import-cycles.mjs` reads them). */
function librarySourceFiles(): string[] {
  return readdirSync(librarySource, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => path.join(librarySource, file));
}

/**
 * For each top-level folder, the other top-level folders its files import, re-export or import types from
 * (the scan of `tools/import-cycles.mjs`); imports of the root files are left out.
 */
function folderImports(): Map<string, Set<string>> {
  const files = new Set(librarySourceFiles());
  const folderOf = (file: string) => {
    const relative = path.relative(librarySource, file);
    return relative.includes(path.sep) ? `${relative.split(path.sep)[0]}/` : undefined;
  };
  const imports = new Map(topLevelFolders().map((folder) => [folder, new Set<string>()]));
  for (const file of files) {
    const from = folderOf(file);
    if (from === undefined) continue;
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = path.resolve(path.dirname(file), fileName);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => files.has(candidate));
      const to = target === undefined ? undefined : folderOf(target);
      if (to !== undefined && to !== from) imports.get(from)!.add(to);
    }
  }
  return imports;
}

/**
 * The names a page gives classes, interfaces and types of the library: in its prose, each backticked
 * PascalCase name (`SmsEventWriter`, `SmsEventWriter.store`, `@OnSmsEvent()`); in its ```text blocks,
 * each PascalCase word of two parts or more (`SignatureGuard`).
 */
function classNamesOf(markdown: string): string[] {
  const prose = backticked(proseLines(markdown).join('\n')).flatMap((code) => {
    const name = /^@?([A-Z][A-Za-z0-9]*)(?=$|[.(])/.exec(code)?.[1];
    return name !== undefined && /[a-z]/.test(name) ? [name] : [];
  });
  const diagrams = [...markdown.matchAll(/^```text\n([\s\S]*?)^```$/gm)].flatMap(([, block]) => [
    ...block.matchAll(/\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b/g),
  ]);
  return [...new Set([...prose, ...diagrams.map(([name]) => name)])];
}

describe('README and docs', () => {
  let compiled: ReturnType<typeof compileDocs>;

  beforeAll(() => {
    compiled = compileDocs();
  }, 180_000);

  it('compiles every ```ts block of the README, the docs pages and the package README', () => {
    expect(compiled.blocks).toBeGreaterThanOrEqual(15);
    expect(compiled.errors).toEqual([]);
  });

  it('names only npm scripts that package.json defines', () => {
    const commands = PAGES.flatMap((page) => [...read(page).matchAll(/\bnpm (run )?([a-z][\w:-]*)/g)].map((match) => ({ page, match })));
    expect(commands.length).toBeGreaterThan(0);
    const missing = commands
      .filter(({ match: [, run, name] }) => !(name in scripts) && (run !== undefined || !NPM_COMMANDS.has(name)))
      .map(({ page, match: [command] }) => `${page}: ${command}`);
    expect(missing).toEqual([]);
  });

  it('gives the two set-up commands, and what each needs, on its first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 30).join('\n');
    expect(firstScreen).toContain('npm ci && npm run demo');
    expect(firstScreen).toMatch(/`npm ci && npm run demo` needs /);
    expect(firstScreen).toMatch(/`npm test` needs /);
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const prose = proseLines(read(page)).join('\n');
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const local = target.startsWith(REPOSITORY_URL) ? path.join(root, target.slice(REPOSITORY_URL.length)) : target;
        if (/^[a-z]+:/.test(local)) continue;
        const [file, anchor] = local.split('#');
        const resolved = file === '' ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
        if (!existsSync(resolved)) broken.push(`${page}: ${target} (no such file)`);
        else if (anchor !== undefined && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor))
          broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('documents every module option in docs/options.md, one row each, with the default the code applies', () => {
    const rows = allTableRows(read('docs/options.md')).filter(([name]) => /^`[\w.]+`$/.test(name ?? ''));
    const documented = new Map(rows.map(([name, fallback]) => [name.slice(1, -1), fallback]));
    expect(documented.size).toBe(rows.length);
    const names = moduleOptionNames(compiled.program);
    expect(names).toEqual(expect.arrayContaining(['secret', 'worker.concurrency', 'job.attempts', 'path']));
    expect([...documented.keys()].filter((name) => !(name in REPLACED_OPTIONS)).sort()).toEqual([...names].sort());

    const resolved = { ...resolveOpenSmsWebhookOptions({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) } as Record<string, unknown>;
    const wrongDefaults = names.flatMap((name) => {
      const value = name.split('.').reduce<unknown>((group, field) => (group as Record<string, unknown> | undefined)?.[field], resolved);
      if (value === undefined || typeof value === 'function' || name === 'dataSource') return [];
      const expected = `\`${literal(value)}\``;
      return documented.get(name)?.startsWith(expected)
        ? []
        : [`${name}: documented ${documented.get(name)}, the code applies ${expected}`];
    });
    expect(wrongDefaults).toEqual([]);
  });

  it('names in docs/options.md what replaces every option of earlier versions, as the start-up check does', () => {
    const replaced = section(read('docs/options.md'), '### Options of earlier versions');
    const rows = Object.fromEntries(firstTableRows(replaced).map(([name, now]) => [name.replace(/`/g, ''), now.replace(/`/g, '')]));
    expect(rows).toEqual(REPLACED_OPTIONS);
  });

  it("lists in the README's Public API exactly the exports of the package's main entry", () => {
    const names = exportsOf(compiled.program, rootIndex);
    expect(names).toEqual(expect.arrayContaining(['OpenSmsWebhookModule', 'OpenSmsWebhookModuleAsyncOptions', 'OpenSmsWebhookService']));
    const listed = firstTableRows(section(readme, '## Public API')).flatMap(([exports]) => backticked(exports));
    expect([...listed].sort()).toEqual([...new Set(names)].sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("names every export of each subpath in the README's Public API, in backticks", () => {
    const indexes = entryIndexes();
    expect(indexes).toEqual(expect.arrayContaining([rootIndex, path.join(library, 'src/testing/index.ts')]));
    const names = indexes.filter((index) => index !== rootIndex).flatMap((index) => exportsOf(compiled.program, index));
    expect(names).toEqual(expect.arrayContaining(['signWebhook', 'OpenSmsWebhookMetricsModule', 'OpenSmsWebhookHealthIndicator']));
    const api = section(readme, '## Public API');
    expect(names.filter((name) => !api.includes(`\`${name}\``))).toEqual([]);
  });

  it.each(['README.md', PACKAGE_README])('%s names every public method of OpenSmsWebhookService', (page) => {
    const methods = publicMethods(compiled.program, servicePath, 'OpenSmsWebhookService');
    expect(methods).toEqual(expect.arrayContaining(['findById', 'replayDead', 'pause', 'resume']));
    const text = read(page);
    expect(methods.filter((method) => !new RegExp(`\`${method}[(\`]`).test(text))).toEqual([]);
  });

  it.each(['README.md', PACKAGE_README])('%s installs the newest set, states the engines, lists every peer with its range', (page) => {
    const manifest = JSON.parse(readFileSync(path.join(library, 'package.json'), 'utf8')) as {
      name: string;
      engines: { node: string };
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const peers = Object.entries(manifest.peerDependencies).map(([name, range]) => ({
      name,
      range,
      optional: manifest.peerDependenciesMeta[name]?.optional === true,
    }));
    const install = section(read(page), '## Install');
    const command = /^npm install (.+)$/m.exec(install)?.[1];
    expect(command).toBe(/^npm install (.+)$/m.exec(read(SUPPORTED_VERSIONS))?.[1]);
    const packages = command!.split(/\s+/).map((spec) => spec.replace(/(.)@[^@]*$/, '$1'));
    expect(packages[0]).toBe(manifest.name);
    expect(install).toContain(`\`${manifest.engines.node}\``);
    const required = peers.filter(({ optional }) => !optional).map(({ name }) => name);
    expect([...packages.slice(1)].sort()).toEqual([...required].sort());
    const listed = firstTableRows(install).flatMap(([names, range, kind]) =>
      backticked(names).map((name) => ({ name, range: backticked(range)[0], optional: kind.startsWith('optional') })),
    );
    expect([...listed].sort((a, b) => a.name.localeCompare(b.name))).toEqual([...peers].sort((a, b) => a.name.localeCompare(b.name)));
  });

  it('describes every Prometheus metric and metrics option in the Metrics section of docs/operations.md', () => {
    const metricsSection = section(read('docs/operations.md'), '## Metrics (Prometheus)');
    const metrics = read('libs/opensms-webhook/src/metrics/sms-webhook.metrics.ts');
    const names = [...metrics.matchAll(/^ {2}\w+: '(opensms_webhook_\w+)',$/gm)].map(([, name]) => name);
    expect(names).toHaveLength(10);
    expect(names.filter((name) => !metricsSection.includes(`| \`${name}\` |`))).toEqual([]);
    const options = read('libs/opensms-webhook/src/metrics/opensms-webhook-metrics-options.interface.ts');
    const optionNames = interfaceMembers(options, 'OpenSmsWebhookMetricsOptions');
    expect(optionNames).toEqual(expect.arrayContaining(['registry', 'inboxCacheMs']));
    expect(optionNames.filter((name) => !metricsSection.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('documents every console option in docs/console.md', () => {
    const options = read('libs/opensms-webhook/src/console/opensms-webhook-console-options.interface.ts');
    const names = [
      ...interfaceMembers(options, 'OpenSmsWebhookConsoleOptions'),
      ...interfaceMembers(options, 'OpenSmsWebhookConsoleExtras'),
    ];
    expect(names).toEqual(expect.arrayContaining(['authorize', 'guards', 'path']));
    const consolePage = read('docs/console.md');
    expect(names.filter((name) => !consolePage.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('docs/architecture.md describes every top-level folder of the library, and only those', () => {
    const rows = firstTableRows(section(read(ARCHITECTURE), '## Folders'));
    const named = rows.map(([folder]) => backticked(folder).filter((name) => name.endsWith('/')));
    expect(rows.filter((_, index) => named[index].length !== 1).map(([folder]) => folder)).toEqual(['root files']);
    const listed = named.flat();
    expect(topLevelFolders()).toEqual(expect.arrayContaining(['ingest/', 'inbox/', 'dispatch/']));
    expect([...listed].sort()).toEqual(topLevelFolders().sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('docs/architecture.md gives each folder the folders it imports, every one of them in a row above it', () => {
    const rows = firstTableRows(section(read(ARCHITECTURE), '## Folders'));
    const imports = folderImports();
    expect([...imports.get('dispatch/')!]).toEqual(expect.arrayContaining(['inbox/', 'queue/']));
    const wrong = rows.flatMap(([folderCell, , dependsOn], index) => {
      const [folder] = backticked(folderCell).filter((name) => name.endsWith('/'));
      if (folder === undefined) return [];
      if (!imports.has(folder)) return [`${folder} is no folder of the library`];
      const actual = [...imports.get(folder)!].sort();
      const listed = backticked(dependsOn).filter((name) => name.endsWith('/'));
      const above = new Set(rows.slice(0, index).flatMap(([cell]) => backticked(cell)));
      return [
        ...(JSON.stringify([...listed].sort()) === JSON.stringify(actual)
          ? []
          : [`${folder} lists ${listed.join(', ')}, imports ${actual.join(', ')}`]),
        ...actual.filter((target) => !above.has(target)).map((target) => `${folder} imports ${target}, which is not above it`),
      ];
    });
    expect(wrong).toEqual([]);
  });

  it('docs/architecture.md names only classes, interfaces and types the library declares', () => {
    const sources = librarySourceFiles()
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const names = classNamesOf(read(ARCHITECTURE));
    expect(names).toEqual(expect.arrayContaining(['SignatureGuard', 'SmsEventWriter', 'SmsEventDispatcher', 'OnSmsEvent']));
    const declared = (name: string) =>
      new RegExp(`\\bexport\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:class|interface|type|function)\\s+${name}\\b`).test(sources);
    expect(names.filter((name) => !declared(name))).toEqual([]);
  });
});
