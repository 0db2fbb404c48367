import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CHECKER = path.join(__dirname, 'import-cycles.mjs');

/** Runs the checker on a source tree of `files` (path → text); its exit code and what it printed. */
function check(files: Record<string, string>): { code: number; output: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'import-cycles-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    try {
      return { code: 0, output: execFileSync(process.execPath, [CHECKER, root], { encoding: 'utf8', stdio: 'pipe' }) };
    } catch (error) {
      const failed = error as { status: number; stderr: string };
      return { code: failed.status, output: failed.stderr };
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('tools/import-cycles.mjs', () => {
  it('passes a tree whose folders depend one way only', () => {
    expect(
      check({
        'a/one.ts': "import { two } from '../b/two';\nexport const one = two;",
        'b/two.ts': "import type { Three } from './three';\nexport const two = 2 as Three;",
        'b/three.ts': 'export type Three = number;',
      }),
    ).toEqual({ code: 0, output: '' });
  });

  it('fails on two files that import each other, a type-only import included', () => {
    const { code, output } = check({
      'a/one.ts': "import type { Two } from './two';\nexport type One = Two;",
      'a/two.ts': "export { type One as Two } from './one';",
    });
    expect(code).toBe(1);
    expect(output).toContain('files import each other in a cycle: a/one.ts, a/two.ts');
  });

  it('fails on folders that import each other through different files, naming the imports that make the cycle', () => {
    const { code, output } = check({
      'a/one.ts': "import { two } from '../b/two';\nexport const one = two;",
      'b/two.ts': 'export const two = 2;',
      'b/deep/four.ts': "import { five } from '../../a/five';\nexport const four = five;",
      'a/five.ts': 'export const five = 5;',
      'root.ts': "export { one } from './a/one';",
    });
    expect(code).toBe(1);
    expect(output).toContain('folders import each other in a cycle: a/, b/');
    expect(output).toContain('a/one.ts imports b/two.ts');
    expect(output).toContain('b/deep/four.ts imports a/five.ts');
  });
});
