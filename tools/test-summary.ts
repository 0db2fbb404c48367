/** Test counts of one Jest stage. */
export interface TestCounts {
  passed: number;
  failed: number;
  total: number;
  /** Test files run. */
  files: number;
  /** Test files with a failed test or an error of their own. */
  failedFiles: number;
}

/** How one stage of `npm test` ended. */
export interface StageResult {
  name: string;
  passed: boolean;
  durationMs: number;
  /** Jest stages only; `undefined` there when Jest stopped before running tests. */
  tests?: TestCounts;
}

/**
 * The closing summary of `npm test`: a line per stage (result, duration, tests), the stages not
 * run, and a last line saying whether the whole run passed.
 */
export function formatSummary(
  results: readonly StageResult[],
  skipped: readonly string[],
  totalMs: number,
  duration: (ms: number) => string,
): string {
  const width = Math.max(...[...results.map((result) => result.name), ...skipped].map((name) => name.length));
  const lines = results.map((result) =>
    [
      (result.passed ? 'passed' : 'FAILED').padEnd(7),
      result.name.padEnd(width),
      duration(result.durationMs).padStart(8),
      describeTests(result),
    ]
      .join('  ')
      .trimEnd(),
  );
  lines.push(...skipped.map((name) => `not run  ${name}`));
  const failed = results.filter((result) => !result.passed).map((result) => result.name);
  const verdict =
    failed.length > 0
      ? `npm test failed: ${failed.join(', ')} (${failed.length} of ${results.length + skipped.length} stages)`
      : skipped.length > 0
        ? `npm test stopped before ${skipped.join(', ')}`
        : 'npm test passed: every stage';
  return ['Summary', ...lines.map((line) => `  ${line}`), `${verdict}, ${duration(totalMs)} in all.`].join('\n');
}

function describeTests(result: StageResult): string {
  if (!('tests' in result)) return '';
  const tests = result.tests;
  if (!tests) return 'no test results: it stopped before the tests (see its output above)';
  const files = `${tests.files} files`;
  if (tests.failed === 0 && tests.failedFiles === 0) return `${tests.passed} tests passed in ${files}`;
  return `${tests.failed} of ${tests.total} tests failed, ${tests.passed} passed; ${tests.failedFiles} of ${files} failed`;
}
