import { useFaultScope } from './support/fault-scope';
import { formatSoakReport, runSoak, soakProblems } from './support/soak';

describe('soak: two ingest and three worker processes, SIGKILLed while signed events stream in', () => {
  const scope = useFaultScope('soak');

  it('processes every acknowledged event exactly once per handler, one message at a time, and leaves nothing stuck', async () => {
    const report = await runSoak(scope, { events: 2000, workerKillEveryMs: 3000, minWorkerKills: 4, ingestKills: 1 });
    process.stdout.write(`${formatSoakReport(report)}\n`);

    expect(soakProblems(report)).toEqual([]);
    // NOTE: five child starts, restarts after each kill and the processing exceed Jest's default 60 s.
  }, 300_000);
});
