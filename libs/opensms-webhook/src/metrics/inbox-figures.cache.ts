import type { SmsEventQueries } from '../inbox/sms-event.queries';
import { UNFINISHED_SMS_EVENT_STATES } from '../inbox/sms-event-state';
import { withTimeout } from '../internal/with-timeout';
import type { FailureBurst } from '../internal/failure-burst';
import { messages } from '../opensms-webhook.messages';
import type { InboxFigures, InboxFiguresSource } from './sms-webhook.metrics';

/**
 * The gauges' inbox figures, read with one query, reused for `cacheMs`, and never awaited by a scrape
 * for longer than `timeoutMs`. Scrapes arriving while a read runs share it, so a slow database sees
 * one query at a time however often it is scraped.
 */
export class InboxFiguresCache implements InboxFiguresSource {
  private last?: { at: number; figures: InboxFigures };
  private reading?: Promise<InboxFigures>;

  constructor(
    private readonly queries: SmsEventQueries,
    private readonly options: { inboxCacheMs: number; inboxTimeoutMs: number },
    private readonly warning: FailureBurst,
  ) {}

  async read(): Promise<InboxFigures | null> {
    if (this.last && performance.now() - this.last.at < this.options.inboxCacheMs) return this.last.figures;
    this.reading ??= this.query().finally(() => {
      this.reading = undefined;
    });
    try {
      return await withTimeout(this.reading, this.options.inboxTimeoutMs, `no answer within ${this.options.inboxTimeoutMs} ms`);
    } catch (error) {
      this.warning.warn(messages.metricsInboxFailed(error));
      return null;
    }
  }

  private async query(): Promise<InboxFigures> {
    const rows = await this.queries.countAndAgeByState([...UNFINISHED_SMS_EVENT_STATES, 'dead']);
    const unfinished = rows.filter((row) => UNFINISHED_SMS_EVENT_STATES.includes(row.state));
    const figures: InboxFigures = {
      backlog: new Map(unfinished.map((row) => [row.state, row.count])),
      dead: rows.find((row) => row.state === 'dead')?.count ?? 0,
      oldestUnfinishedAgeSeconds: Math.max(0, ...unfinished.map((row) => row.oldestAgeSeconds ?? 0)),
    };
    this.last = { at: performance.now(), figures };
    return figures;
  }
}
