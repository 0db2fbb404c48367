import { Injectable } from '@nestjs/common';
import { SmsEventEntity } from './sms-event.entity';
import {
  PRUNABLE_SMS_EVENT_STATES,
  type SmsEventState,
  UNFINISHED_SMS_EVENT_STATES,
  zeroCountsByState,
} from './sms-event-state';
import { SmsEventTables } from './sms-event.tables';

/** Filter of inbox look-ups. */
export interface SmsEventFilter {
  state?: SmsEventState | readonly SmsEventState[];
  event?: string;
  messageId?: string;
  receivedBefore?: Date;
  receivedAfter?: Date;
  /** @default 100 */
  limit?: number;
}

/** The queries of operators and housekeeping: look-ups, counts, unfinished events, retention. */
@Injectable()
export class SmsEventQueries {
  constructor(private readonly tables: SmsEventTables) {}

  findById(id: string): Promise<SmsEventEntity | null> {
    return this.tables.dataSource.getRepository(SmsEventEntity).findOneBy({ id });
  }

  /** Rows matching the filter, newest first. */
  find(filter: SmsEventFilter = {}): Promise<SmsEventEntity[]> {
    const query = this.tables.dataSource
      .getRepository(SmsEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.receivedAt', 'DESC')
      .limit(filter.limit ?? 100);
    if (filter.state !== undefined) {
      const states = typeof filter.state === 'string' ? [filter.state] : [...filter.state];
      query.andWhere('e.state IN (:...states)', { states });
    }
    if (filter.event !== undefined) query.andWhere('e.event = :event', { event: filter.event });
    if (filter.messageId !== undefined) query.andWhere('e.messageId = :messageId', { messageId: filter.messageId });
    if (filter.receivedBefore) query.andWhere('e.receivedAt < :before', { before: filter.receivedBefore });
    if (filter.receivedAfter) query.andWhere('e.receivedAt > :after', { after: filter.receivedAfter });
    return query.getMany();
  }

  /** Row counts per state (every state present, zero when none). */
  async countByState(): Promise<Record<SmsEventState, number>> {
    const rows: { state: SmsEventState; count: string }[] = await this.tables.dataSource.query(
      `SELECT "state", count(*) AS "count" FROM ${this.tables.events} GROUP BY "state"`,
    );
    const counts = zeroCountsByState();
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  /** Ids of unfinished, already queued events untouched for at least `ageMs`, oldest first. */
  async findStaleUnfinished(ageMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.tables.dataSource.query(
      `SELECT "id" FROM ${this.tables.events}
        WHERE "state" = ANY($1) AND "job_pending" IS NULL AND "updated_at" < now() - make_interval(secs => $2)
        ORDER BY "updated_at" LIMIT $3`,
      [UNFINISHED_SMS_EVENT_STATES, ageMs / 1000, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes processed and ignored rows older than `days`; returns how many. */
  async prune(days: number): Promise<number> {
    const [row]: { count: number }[] = await this.tables.dataSource.query(
      `WITH pruned AS (
         DELETE FROM ${this.tables.events}
          WHERE "state" = ANY($2) AND "received_at" < now() - make_interval(days => $1)
          RETURNING 1
       )
       SELECT count(*)::int AS "count" FROM pruned`,
      [days, PRUNABLE_SMS_EVENT_STATES],
    );
    return row.count;
  }
}
