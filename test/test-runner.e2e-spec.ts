import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './support/redis-server';

const ROOT = path.resolve(__dirname, '..');

/**
 * `npm test`'s runner (tools/run-tests.ts) on a machine that lacks what it needs: a PATH holding
 * only `node` (no redis-server, no Chromium), servers looked for where none answer, and a
 * temporary folder of its own to show it leaves nothing behind.
 */
async function runTests(environment: Record<string, string>): Promise<{ code: number | null; output: string; temporaryFiles: string[] }> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'opensms-runner-spec-'));
  try {
    const bin = path.join(scratch, 'bin');
    const temporary = path.join(scratch, 'tmp');
    mkdirSync(bin);
    mkdirSync(temporary);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, TMPDIR: temporary, ...environment };
    // NOTE: this run's servers, which global-setup.ts handed down, are not the runner's business here.
    for (const name of ['TEST_DATABASE_URL', 'TEST_REDIS_HOST', 'TEST_REDIS_PORT', 'CHROMIUM_PATH']) {
      if (!(name in environment)) delete env[name];
    }
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'tools/run-tests.ts'],
        { cwd: ROOT, env },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: stdout + stderr }),
      );
    });
    // NOTE: TypeScript's compile cache (ts-node loads the runner) is Node's tooling, kept across runs on purpose.
    return { code, output, temporaryFiles: readdirSync(temporary).filter((name) => !name.startsWith('v8-compile-cache')) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

describe('npm test on a machine that lacks what it needs', () => {
  it('stops at once with exit code 2 and one message listing everything missing and how to get it, starting nothing', async () => {
    const [postgresPort, redisPort] = [await freePort(), await freePort()];
    const run = await runTests({
      TEST_PROBE_POSTGRES_PORT: String(postgresPort),
      TEST_PROBE_REDIS_PORT: String(redisPort),
      CHROMIUM_PATH: path.join(ROOT, 'no-such-chromium'),
    });

    expect(run.code).toBe(2);
    const lines = run.output.trim().split('\n');
    expect(lines[0]).toBe('npm test cannot start; missing on this machine:');
    expect(lines.slice(1, -1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^  - Redis: no redis-server on the PATH \\(nothing answers on 127\\.0\\.0\\.1:${redisPort}\\)\\. Install one: apt-get install redis-server`,
        ),
      ),
      expect.stringMatching(/^ {2}- Chromium: CHROMIUM_PATH \(.*no-such-chromium\) is not an executable file: fix it, or unset it/),
    ]);
    expect(lines.at(-1)).toBe('Nothing was started.');
    // The embedded PostgreSQL is not missing (npm ci installed it), and was not started: no folder of it.
    expect(run.output).not.toContain('PostgreSQL');
    expect(run.temporaryFiles).toEqual([]);
    expect(run.output).not.toContain('> lint');
  });

  it('names each variable that is set but does not answer, never using something else instead', async () => {
    const [postgresPort, redisPort] = [await freePort(), await freePort()];
    const run = await runTests({
      TEST_DATABASE_URL: `postgres://postgres@127.0.0.1:${postgresPort}/test`,
      TEST_REDIS_PORT: String(redisPort),
    });

    expect(run.code).toBe(2);
    const problems = run.output.trim().split('\n').slice(1, -1);
    expect(problems).toEqual([
      expect.stringContaining(`  - PostgreSQL: TEST_DATABASE_URL (postgres://postgres@127.0.0.1:${postgresPort}/test) does not answer (`),
      expect.stringContaining(`  - Redis: TEST_REDIS_HOST/TEST_REDIS_PORT (127.0.0.1:${redisPort}) does not answer (`),
      '  - Redis: no redis-server on the PATH (the Redis fault specs start private ones). Install one: apt-get install redis-server, brew install redis, or any package manager’s redis.',
    ]);
    expect(run.temporaryFiles).toEqual([]);
  });
});
