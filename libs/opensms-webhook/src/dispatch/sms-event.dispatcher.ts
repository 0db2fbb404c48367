import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UnrecoverableError } from 'bullmq';
import type { DataSource, QueryRunner } from 'typeorm';
import { toSmsEvent, type SmsEvent, type UnknownSmsEvent } from '../events/sms-events';
import { SmsWebhookEventEntity } from '../inbox/sms-webhook-event.entity';
import { SmsWebhookInbox } from '../inbox/sms-webhook-inbox';
import { describeError, messages } from '../opensms-webhook.messages';
import { type BoundSmsEventHandler, SmsEventHandlerRegistry } from './sms-event-handler.registry';
import { withMessageLock } from './message-lock';

/** How one attempt at an event ended, when it did not throw. */
export type DispatchOutcome = 'processed' | 'ignored' | 'skipped';

/** Some handlers failed on this attempt; `permanent` when retrying cannot help (or attempts are spent). */
export class SmsEventDispatchError extends Error {
  constructor(
    readonly failures: readonly { handler: string; error: unknown }[],
    readonly permanent: boolean,
  ) {
    super(failures.map(({ handler, error }) => `${handler}: ${describeError(error)}`).join('; '));
    this.name = 'SmsEventDispatchError';
  }
}

interface Attempt {
  /** 1-based number of this attempt. */
  attempt: number;
  /** No retry follows a failure of this attempt. */
  isLast: boolean;
}

const FINISHED_STATES = new Set(['processed', 'ignored', 'invalid', 'dead']);

/**
 * Runs a stored event through its handlers: under the message's lock, each handler in its own
 * transaction together with its completion mark, skipping handlers that already committed.
 */
@Injectable()
export class SmsEventDispatcher {
  private readonly logger = new Logger('OpenSmsWebhook');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly inbox: SmsWebhookInbox,
    private readonly registry: SmsEventHandlerRegistry,
  ) {}

  async dispatch(eventId: string, { attempt, isLast }: Attempt): Promise<DispatchOutcome> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const first = await this.load(runner, eventId);
      if (!first || FINISHED_STATES.has(first.state)) return 'skipped';
      return await withMessageLock(runner, first.messageId ?? first.id, async () => {
        const row = await this.load(runner, eventId);
        if (!row || FINISHED_STATES.has(row.state)) return 'skipped';
        const handlers = this.registry.handlersFor(row.event);
        if (handlers.length === 0) {
          await this.inbox.setState(row.id, 'ignored', { attempts: attempt }, runner);
          this.logger.log(messages.ignored(row.id, row.event));
          return 'ignored';
        }
        await this.inbox.setState(row.id, 'processing', { attempts: attempt }, runner);
        const stale = await this.isStale(runner, row);
        const failures = await this.runPending(runner, row, handlers, { attempt, stale });
        if (failures.length === 0) {
          await this.inbox.setState(row.id, 'processed', { lastError: null }, runner);
          this.logger.log(messages.processed(row.id, row.event, stale));
          return 'processed';
        }
        const permanent = isLast || failures.some(({ error }) => error instanceof UnrecoverableError);
        const failure = new SmsEventDispatchError(failures, permanent);
        await this.inbox.setState(row.id, permanent ? 'dead' : 'failed', { lastError: failure.message }, runner);
        if (permanent) this.logger.error(messages.dead(row.id, row.event, attempt, failure.message));
        throw failure;
      });
    } finally {
      await runner.release();
    }
  }

  private async runPending(
    runner: QueryRunner,
    row: SmsWebhookEventEntity,
    handlers: readonly BoundSmsEventHandler[],
    { attempt, stale }: { attempt: number; stale: boolean },
  ): Promise<{ handler: string; error: unknown }[]> {
    const done = await this.completedHandlers(runner, row.id);
    const event = toSmsEvent(row);
    const failures: { handler: string; error: unknown }[] = [];
    for (const handler of handlers) {
      if (done.has(handler.name)) continue;
      try {
        await this.runInTransaction(runner, handler, event, row, { attempt, stale });
      } catch (error) {
        this.logger.warn(messages.handlerFailed(row.id, handler.name, attempt, error));
        failures.push({ handler: handler.name, error });
      }
    }
    return failures;
  }

  private async runInTransaction(
    runner: QueryRunner,
    handler: BoundSmsEventHandler,
    event: SmsEvent | UnknownSmsEvent,
    row: SmsWebhookEventEntity,
    { attempt, stale }: { attempt: number; stale: boolean },
  ): Promise<void> {
    await runner.startTransaction();
    try {
      await handler.invoke(event, { manager: runner.manager, eventId: row.id, attempt, stale, receivedAt: row.receivedAt });
      await runner.query(`INSERT INTO ${this.inbox.handlerRuns} ("event_id", "handler") VALUES ($1, $2)`, [
        row.id,
        handler.name,
      ]);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    }
  }

  private async load(runner: QueryRunner, id: string): Promise<SmsWebhookEventEntity | null> {
    return runner.manager.findOneBy(SmsWebhookEventEntity, { id });
  }

  private async completedHandlers(runner: QueryRunner, eventId: string): Promise<Set<string>> {
    const rows: { handler: string }[] = await runner.query(
      `SELECT "handler" FROM ${this.inbox.handlerRuns} WHERE "event_id" = $1`,
      [eventId],
    );
    return new Set(rows.map((row) => row.handler));
  }

  /** Whether a later event of the same message was already processed. */
  private async isStale(runner: QueryRunner, row: SmsWebhookEventEntity): Promise<boolean> {
    if (!row.messageId || !row.occurredAt) return false;
    const [result]: { stale: boolean }[] = await runner.query(
      `SELECT EXISTS (
         SELECT 1 FROM ${this.inbox.events}
          WHERE "message_id" = $1 AND "id" <> $2 AND "state" = 'processed' AND "occurred_at" > $3
       ) AS "stale"`,
      [row.messageId, row.id, row.occurredAt],
    );
    return result.stale;
  }
}
