import { Logger } from '@nestjs/common';
import type { SmsEventQueries, SmsEventStateFigures } from '../inbox/sms-event.queries';
import { FailureBurst } from '../internal/failure-burst';
import { InboxFiguresCache } from './inbox-figures.cache';

const ROWS: SmsEventStateFigures[] = [
  { state: 'received', count: 4, oldestAgeSeconds: 12.5 },
  { state: 'processing', count: 1, oldestAgeSeconds: 3 },
  { state: 'failed', count: 0, oldestAgeSeconds: null },
  { state: 'dead', count: 2, oldestAgeSeconds: 99 },
];

function cacheOver(query: () => Promise<SmsEventStateFigures[]>, options = { inboxCacheMs: 1000, inboxTimeoutMs: 50 }) {
  const countAndAgeByState = jest.fn(query);
  const logger = new Logger('test');
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const cache = new InboxFiguresCache({ countAndAgeByState } as unknown as SmsEventQueries, options, new FailureBurst(logger));
  return { cache, countAndAgeByState, warn };
}

describe('InboxFiguresCache', () => {
  it('reads backlog per unfinished state, dead events and the oldest unfinished age in one query', async () => {
    const { cache, countAndAgeByState } = cacheOver(async () => ROWS);
    expect(await cache.read()).toEqual({
      backlog: new Map([
        ['received', 4],
        ['processing', 1],
        ['failed', 0],
      ]),
      dead: 2,
      oldestUnfinishedAgeSeconds: 12.5,
    });
    expect(countAndAgeByState).toHaveBeenCalledWith(['received', 'processing', 'failed', 'dead']);
  });

  it('serves concurrent and repeated scrapes within inboxCacheMs from one query', async () => {
    const { cache, countAndAgeByState } = cacheOver(async () => ROWS);
    await Promise.all([cache.read(), cache.read(), cache.read()]);
    await cache.read();
    expect(countAndAgeByState).toHaveBeenCalledTimes(1);
  });

  it('answers null after inboxTimeoutMs, and lets later scrapes share the slow query instead of starting more', async () => {
    let answer: (rows: SmsEventStateFigures[]) => void = () => undefined;
    const { cache, countAndAgeByState, warn } = cacheOver(() => new Promise((resolve) => (answer = resolve)));
    expect(await cache.read()).toBeNull();
    expect(await cache.read()).toBeNull();
    expect(countAndAgeByState).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    answer(ROWS);
    await new Promise(setImmediate);
    expect((await cache.read())?.dead).toBe(2);
    expect(countAndAgeByState).toHaveBeenCalledTimes(1);
  });

  it('answers null when the query fails, and tries again at the next scrape', async () => {
    let fail = true;
    const { cache, countAndAgeByState } = cacheOver(async () => {
      if (fail) throw new Error('connection refused');
      return ROWS;
    });
    expect(await cache.read()).toBeNull();
    fail = false;
    expect((await cache.read())?.dead).toBe(2);
    expect(countAndAgeByState).toHaveBeenCalledTimes(2);
  });
});
