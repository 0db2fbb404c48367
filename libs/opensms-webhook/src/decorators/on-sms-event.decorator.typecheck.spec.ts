import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * `@OnSmsEvent()` checks the handler's parameter against the events it names, at compile time.
 * The snippets below are compiled with the TypeScript compiler in one program, as if they sat next
 * to the decorator; only their own diagnostics are read.
 */
const IMPORTS = `
import { OnSmsEvent } from './on-sms-event.decorator';
import type {
  SmsDeliveredEvent, SmsEvent, SmsEventContext, SmsFailedEvent, SmsPendingEvent, UnknownSmsEvent,
} from '../events/sms-events';
`;

const SNIPPETS = {
  correct: `${IMPORTS}
    export class Handlers {
      @OnSmsEvent('failed')
      async onFailed(event: SmsFailedEvent, ctx: SmsEventContext): Promise<string> {
        return \`\${ctx.eventId}: \${event.error}\`;
      }

      @OnSmsEvent('delivered', 'pending')
      @OnSmsEvent('delivered')
      onProgress(event: SmsDeliveredEvent | SmsPendingEvent): string {
        return event.type;
      }

      @OnSmsEvent('delivered', 'failed', 'pending')
      onAnyKnown(event: SmsEvent): void {}

      @OnSmsEvent('*')
      onEverything(event: SmsEvent | UnknownSmsEvent): void {}

      @OnSmsEvent('pending')
      onPendingWithoutArguments(): void {}
    }`,
  failedOnDeliveredParameter: `${IMPORTS}
    export class Handlers {
      @OnSmsEvent('failed')
      onFailed(event: SmsDeliveredEvent, ctx: SmsEventContext): void {}
    }`,
  oneOfSeveralTypesNotAccepted: `${IMPORTS}
    export class Handlers {
      @OnSmsEvent('delivered', 'failed')
      onDone(event: SmsDeliveredEvent): void {}
    }`,
  wildcardWithoutUnknownEvents: `${IMPORTS}
    export class Handlers {
      @OnSmsEvent('*')
      onEverything(event: SmsEvent): void {}
    }`,
};

type SnippetName = keyof typeof SNIPPETS;

const DECORATORS_DIR = __dirname;
const snippetPath = (name: string) => path.join(DECORATORS_DIR, `__typecheck_${name}.ts`);

/**
 * Stands in for typeorm's declarations (hundreds of files): the events only name `EntityManager`,
 * which plays no part in the handler check.
 */
const TYPEORM_STUB = {
  path: path.join(DECORATORS_DIR, '__typecheck_typeorm.d.ts'),
  source: 'export declare class EntityManager { private readonly opaque: true; }',
};

/** Compiles every snippet in one program; returns each snippet's error messages. */
function compileSnippets(): Record<SnippetName, string[]> {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    paths: { typeorm: [TYPEORM_STUB.path] },
  };
  const files = new Map(Object.entries(SNIPPETS).map(([name, source]) => [snippetPath(name), source]));
  files.set(TYPEORM_STUB.path, TYPEORM_STUB.source);
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (file) => files.has(file) || ts.sys.fileExists(file);
  host.readFile = (file) => files.get(file) ?? readFile(file);
  host.getSourceFile = (file, languageVersion, ...rest) => {
    const source = files.get(file);
    return source !== undefined ? ts.createSourceFile(file, source, languageVersion, true) : getSourceFile(file, languageVersion, ...rest);
  };

  const program = ts.createProgram([...files.keys()], options, host);
  const errorsOf = (name: string) =>
    ts
      .getPreEmitDiagnostics(program, program.getSourceFile(snippetPath(name)))
      .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
      .map((diagnostic) => `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
  return Object.fromEntries(Object.keys(SNIPPETS).map((name) => [name, errorsOf(name)])) as Record<SnippetName, string[]>;
}

describe('@OnSmsEvent() handler types', () => {
  let errors: Record<SnippetName, string[]>;

  beforeAll(() => {
    errors = compileSnippets();
  }, 60_000);

  it('compiles handlers whose parameter accepts the named events, async ones included', () => {
    expect(errors.correct).toEqual([]);
  });

  it.each([
    ['failedOnDeliveredParameter', "@OnSmsEvent('failed') on a method taking SmsDeliveredEvent"],
    ['oneOfSeveralTypesNotAccepted', "@OnSmsEvent('delivered', 'failed') on a method taking SmsDeliveredEvent"],
    ['wildcardWithoutUnknownEvents', "@OnSmsEvent('*') on a method that cannot take an UnknownSmsEvent"],
  ] as const)('rejects %s: %s', (name, _case) => {
    // TS1241: "Unable to resolve signature of method decorator when called as an expression."
    expect(errors[name]).toContainEqual(expect.stringMatching(/^TS1241: /));
    expect(errors[name].every((error) => /^TS(1241|1270): /.test(error))).toBe(true);
  });
});
