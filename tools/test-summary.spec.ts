import { formatSummary } from './test-summary';

const seconds = (ms: number) => `${ms / 1000} s`;

describe('formatSummary', () => {
  it('lists every stage with its result, duration and tests, and says which failed', () => {
    const summary = formatSummary(
      [
        { name: 'lint', passed: true, durationMs: 3000 },
        { name: 'unit', passed: true, durationMs: 9000, tests: { passed: 40, failed: 0, total: 40, files: 5, failedFiles: 0 } },
        {
          name: 'e2e, queue on Redis',
          passed: false,
          durationMs: 60_000,
          tests: { passed: 97, failed: 2, total: 99, files: 20, failedFiles: 1 },
        },
        { name: 'e2e, queue on PostgreSQL', passed: false, durationMs: 1000, tests: undefined },
      ],
      [],
      73_000,
      seconds,
    );
    expect(summary.split('\n')).toEqual([
      'Summary',
      '  passed   lint                           3 s',
      '  passed   unit                           9 s  40 tests passed in 5 files',
      '  FAILED   e2e, queue on Redis           60 s  2 of 99 tests failed, 97 passed; 1 of 20 files failed',
      '  FAILED   e2e, queue on PostgreSQL       1 s  no test results: it stopped before the tests (see its output above)',
      'npm test failed: e2e, queue on Redis, e2e, queue on PostgreSQL (2 of 4 stages), 73 s in all.',
    ]);
  });

  it('says the run passed when every stage did, and names the stages an interruption skipped', () => {
    const lint = { name: 'lint', passed: true, durationMs: 1000 };
    expect(formatSummary([lint], [], 1000, seconds).split('\n').at(-1)).toBe('npm test passed: every stage, 1 s in all.');
    expect(formatSummary([lint], ['unit'], 1000, seconds).split('\n').slice(-2)).toEqual([
      '  not run  unit',
      'npm test stopped before unit, 1 s in all.',
    ]);
  });
});
