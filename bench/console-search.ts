/**
 * `npm run bench:console-search`: the console's inbox queries on a million stored events.
 *
 * Creates a schema of its own, runs the library's migrations, fills the inbox with 1,000,000 rows
 * (`generate_series`, see inbox-fill.ts: 250,000 messages of 4 events, about 1 % dead, received over 23 days),
 * then times each console query (first page, and page 21 reached through keyset cursors) and prints
 * its plan. Drops the schema at the end. `CONSOLE_BENCH_ROWS` changes the row count.
 */
import { OPENSMS_WEBHOOK_MIGRATIONS, type SmsEventFilter } from '@opensms/nestjs-webhooks';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { SmsEventQueries } from '../libs/opensms-webhook/src/inbox/sms-event.queries';
import { OPENSMS_WEBHOOK_ENTITIES, SmsEventTables } from '../libs/opensms-webhook/src/inbox/sms-event.tables';
import { BENCH } from './bench.config';
import { CONSOLE_STATES, fillInbox } from './inbox-fill';

const ROWS = Number(process.env.CONSOLE_BENCH_ROWS ?? 1_000_000);
/** The console's default page size. */
const PAGE = 50;
/** Runs of each query; the median is reported. */
const RUNS = 7;
/** The target of one search answer. */
const BUDGET_MS = 200;

/** Keeps the last SQL TypeORM ran, so that its plan can be shown. */
class LastQuery implements TypeOrmLogger {
  sql = '';
  parameters: unknown[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    this.sql = query;
    this.parameters = parameters ?? [];
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

async function main(): Promise<void> {
  const schema = `console_bench_${process.pid}`;
  const admin = new DataSource({ type: 'postgres', url: BENCH.databaseUrl });
  await admin.initialize();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const last = new LastQuery();
  const dataSource = new DataSource({
    type: 'postgres',
    url: BENCH.databaseUrl,
    schema,
    entities: OPENSMS_WEBHOOK_ENTITIES,
    migrations: OPENSMS_WEBHOOK_MIGRATIONS,
    logging: ['query'],
    logger: last,
    extra: { max: 2, options: `-c search_path="${schema}"` },
  });
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const filled = Date.now();
    await fillInbox(dataSource, schema, ROWS, CONSOLE_STATES);
    console.log(
      `Filled ${ROWS.toLocaleString('en')} events (with the console's indexes) in ${((Date.now() - filled) / 1000).toFixed(1)} s\n`,
    );

    const queries = new SmsEventQueries(new SmsEventTables(dataSource));
    const now = new Date();
    const day = 24 * 3600 * 1000;
    const searches: [string, SmsEventFilter][] = [
      ['newest, no filter', {}],
      ['message id', { messageId: 'msg_123457' }],
      ['phone', { phone: '+254700012345' }],
      ['event type sms.failed', { event: 'sms.failed' }],
      ['event type sms.queued (rare: 0.1 %)', { event: 'sms.queued' }],
      ['state dead (1 %)', { state: 'dead' }],
      ['received within one day', { receivedAfter: new Date(now.getTime() - 10 * day), receivedBefore: new Date(now.getTime() - 9 * day) }],
      [
        'dead + sms.failed + 5 days',
        {
          state: 'dead',
          event: 'sms.failed',
          receivedAfter: new Date(now.getTime() - 15 * day),
          receivedBefore: new Date(now.getTime() - 10 * day),
        },
      ],
      ['phone + state processed', { phone: '+254700012345', state: 'processed' }],
    ];

    const results: { name: string; ms: number }[] = [];
    for (const [name, filter] of searches) {
      const search = { ...filter, limit: PAGE };
      const first = await timed(() => queries.search(search));
      results.push({ name: `${name}: first page (${first.value.events.length} rows)`, ms: first.ms });
      await explain(dataSource, last, () => queries.search(search), `${name}, first page`);
      let cursor = first.value.next;
      for (let page = 2; page < 21 && cursor; page += 1) cursor = (await queries.search(search, cursor)).next;
      if (cursor) {
        const later = await timed(() => queries.search(search, cursor ?? undefined));
        results.push({ name: `${name}: page 21 (${later.value.events.length} rows)`, ms: later.ms });
        await explain(dataSource, last, () => queries.search(search, cursor ?? undefined), `${name}, page 21`);
      }
    }
    const others: [string, () => Promise<unknown>][] = [
      ['count of dead events (replay confirmation)', () => queries.count({ state: 'dead' })],
      ['count of dead events of one phone', () => queries.count({ state: 'dead', phone: '+254700012300' })],
      ['message timeline', () => queries.messageTimeline('msg_123457')],
      ['handler runs of an event', () => queries.handlerRuns('00000000-0000-4000-8000-000000000000')],
      ['oldest unfinished event (overview)', () => queries.oldestUnfinishedReceivedAt()],
      ['counts by state (overview)', () => queries.countByState()],
    ];
    for (const [name, run] of others) results.push({ name, ms: (await timed(run)).ms });

    console.log(`\nMedian of ${RUNS} runs, ${ROWS.toLocaleString('en')} events, page size ${PAGE}:`);
    const width = Math.max(...results.map((result) => result.name.length));
    for (const { name, ms } of results) {
      console.log(`  ${name.padEnd(width)}  ${ms.toFixed(1).padStart(7)} ms${ms < BUDGET_MS ? '' : `  over ${BUDGET_MS} ms`}`);
    }
    const slowest = Math.max(...results.filter((result) => result.name.includes('page')).map((result) => result.ms));
    console.log(`\nSlowest search page: ${slowest.toFixed(1)} ms (target < ${BUDGET_MS} ms): ${slowest < BUDGET_MS ? 'met' : 'MISSED'}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.destroy();
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const times: number[] = [];
  let value = await run(); // warm-up, not counted
  for (let index = 0; index < RUNS; index += 1) {
    const started = process.hrtime.bigint();
    value = await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { value, ms: times[Math.floor(RUNS / 2)] };
}

/** Runs the query once more to catch its SQL, then prints `EXPLAIN ANALYZE` of it. */
async function explain(dataSource: DataSource, last: LastQuery, run: () => Promise<unknown>, label: string): Promise<void> {
  await run();
  const plan: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN (ANALYZE, COSTS OFF) ${last.sql}`, last.parameters);
  console.log(`-- ${label}\n${plan.map((line) => `   ${line['QUERY PLAN']}`).join('\n')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
