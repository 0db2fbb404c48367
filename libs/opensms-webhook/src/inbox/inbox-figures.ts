import type { SmsEventQueries } from './sms-event.queries';
import { UNFINISHED_SMS_EVENT_STATES } from './sms-event-state';

/** The inbox's figures that health checks and gauges report, from the state index only. */
export interface InboxFigures {
  /** The backlog (the events with work ahead of them, see `backlogOf`) per unfinished state. */
  backlog: ReadonlyMap<string, number>;
  dead: number;
  /** Seconds since the oldest unfinished event was received; 0 when there is none. */
  oldestUnfinishedAgeSeconds: number;
}

/**
 * The inbox's figures read with one query, reused for `reuseMs`: readers arriving while a read runs
 * share it, so however often they ask, the database sees at most one query at a time.
 */
export class SharedInboxFigures {
  private last?: { at: number; figures: InboxFigures };
  private reading?: Promise<InboxFigures>;

  constructor(
    private readonly queries: SmsEventQueries,
    private readonly reuseMs: number,
  ) {}

  /** The figures, fresh or at most `reuseMs` old; rejects when the query fails. */
  read(): Promise<InboxFigures> {
    if (this.last && performance.now() - this.last.at < this.reuseMs) return Promise.resolve(this.last.figures);
    this.reading ??= this.query().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
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
