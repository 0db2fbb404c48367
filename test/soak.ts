/**
 * `npm run soak`: the soak of test/soak.e2e-spec.ts at full size, 100,000 events by default
 * (`SOAK_EVENTS` to change), an ingest kill per 25,000 events. Prints each kill and the figures, and
 * exits with 1 when an acknowledged event was lost, doubled or left unfinished. Needs the same
 * PostgreSQL and Redis as the tests; removes its schema and queue keys afterwards.
 */
import { createFaultScope } from './support/fault-scope';
import { formatSoakReport, runSoak, soakProblems } from './support/soak';

async function main(): Promise<void> {
  const events = Number(process.env.SOAK_EVENTS ?? 100_000);
  if (!Number.isInteger(events) || events < 1)
    throw new Error(`SOAK_EVENTS must be a positive whole number, not "${process.env.SOAK_EVENTS}"`);
  const scope = createFaultScope('soak');
  process.once('SIGINT', () => void scope.close().finally(() => process.exit(130)));
  await scope.open();
  try {
    const report = await runSoak(scope, {
      events,
      ingestKills: Math.max(1, Math.round(events / 25_000)),
      drainTimeoutMs: 600_000,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(formatSoakReport(report));
    const problems = soakProblems(report);
    for (const problem of problems) console.error(`problem: ${problem}`);
    process.exitCode = problems.length > 0 ? 1 : 0;
  } finally {
    await scope.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
