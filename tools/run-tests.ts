/**
 * `npm test`: checks that this machine has what the run needs (PostgreSQL, Redis, Chromium) or can
 * provide it, and else stops at once with one message listing everything missing; then runs every
 * stage, even after one failed, and ends with one summary of them all. Exit code 0 when every stage
 * passed, 1 when one failed, 2 when the run could not start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readableDuration } from '../libs/opensms-webhook/src/internal/duration';
import { describeChromium, findChromium } from '../test/support/browser';
import { describeProblems, planTestServers, type TestServerPlan } from '../test/support/test-servers';
import { formatSummary, type StageResult, type TestCounts } from './test-summary';

/** The stages, in order: an npm script each; `jest` stages report their test counts. */
const STAGES: readonly { name: string; script: string; jest: boolean }[] = [
  { name: 'lint', script: 'lint', jest: false },
  { name: 'typecheck', script: 'typecheck', jest: false },
  { name: 'unit', script: 'test:unit', jest: true },
  { name: 'e2e, queue on Redis', script: 'test:e2e', jest: true },
  { name: 'e2e, queue on PostgreSQL', script: 'test:e2e:postgres', jest: true },
];

async function main(): Promise<number> {
  const plan = await planTestServers(process.env, { redisServer: true });
  const chromium = findChromium();
  const problems = describeProblems(typeof chromium === 'string' ? [...plan.problems, `Chromium: ${chromium}`] : plan.problems, 'npm test');
  if (problems || typeof chromium === 'string') {
    console.error(problems);
    return 2;
  }
  console.log(describePlan(plan, describeChromium(chromium)));

  let interrupted = false;
  process.on('SIGINT', () => (interrupted = true));
  process.on('SIGTERM', () => (interrupted = true));
  const reports = mkdtempSync(path.join(os.tmpdir(), 'opensms-test-reports-'));
  const started = Date.now();
  const results: StageResult[] = [];
  try {
    for (const stage of STAGES) {
      if (interrupted) break;
      console.log(`\n> ${stage.name} (npm run ${stage.script})\n`);
      const report = path.join(reports, `${stage.script.replace(/\W/g, '-')}.json`);
      const args = ['run', stage.script, ...(stage.jest ? ['--', '--json', `--outputFile=${report}`] : [])];
      const begun = Date.now();
      const exitCode = await run('npm', args);
      const result: StageResult = { name: stage.name, passed: exitCode === 0, durationMs: Date.now() - begun };
      results.push(stage.jest ? { ...result, tests: readCounts(report) } : result);
    }
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
  const skipped = STAGES.slice(results.length).map((stage) => stage.name);
  console.log(`\n${formatSummary(results, skipped, Date.now() - started, readableDuration)}`);
  if (interrupted) return 130;
  return results.every((result) => result.passed) ? 0 : 1;
}

function describePlan(plan: TestServerPlan, chromium: string): string {
  const postgres =
    'embedded' in plan.postgres
      ? `an embedded one, started by each end-to-end pass (${plan.postgres.why})`
      : `${plan.postgres.url} (${plan.postgres.why})`;
  const redis =
    'spawn' in plan.redis
      ? `a redis-server, started by each end-to-end pass (${plan.redis.why})`
      : `${plan.redis.host}:${plan.redis.port} (${plan.redis.why})`;
  return [
    'npm test: lint, typecheck, unit tests, end-to-end tests with the queue on Redis, then on PostgreSQL.',
    `  PostgreSQL: ${postgres}`,
    `  Redis:      ${redis}; redis-server ${plan.redisServer} for the fault specs`,
    `  Chromium:   ${chromium}`,
  ].join('\n');
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.once('error', (error) => {
      console.error(`${command} ${args.join(' ')} did not start: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}

/** The counts of a Jest `--json` report, or `undefined` when Jest wrote none (it stopped before the tests). */
function readCounts(report: string): TestCounts | undefined {
  try {
    const json = JSON.parse(readFileSync(report, 'utf8')) as Record<string, number>;
    return {
      passed: json.numPassedTests,
      failed: json.numFailedTests,
      total: json.numTotalTests,
      files: json.numTotalTestSuites,
      failedFiles: json.numFailedTestSuites,
    };
  } catch {
    return undefined;
  }
}

void main().then((code) => process.exit(code));
