import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UnrecoverableError } from 'bullmq';
import type { DataSource, QueryRunner } from 'typeorm';
import { toSmsEvent, type SmsEvent, type UnknownSmsEvent } from '../events/sms-events';
import { type DispatchRow, SmsWebhookInbox } from '../inbox/sms-webhook-inbox';
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
      const first = await this.inbox.lockKeyOf(eventId, runner);
      if (!first || FINISHED_STATES.has(first.state)) return 'skipped';
      return await withMessageLock(runner, first.key, async () => {
        const row = await this.inbox.loadForDispatch(eventId, runner);
        if (!row || FINISHED_STATES.has(row.state)) return 'skipped';
        const handlers = this.registry.handlersFor(row.event);
        if (handlers.length === 0) {
          await this.inbox.setState(row.id, 'ignored', { attempts: attempt }, runner);
          this.logger.log(messages.ignored(row.id, row.event));
          return 'ignored';
        }
        await this.inbox.setState(row.id, 'processing', { attempts: attempt }, runner);
        const { stale } = row;
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
    row: DispatchRow,
    handlers: readonly BoundSmsEventHandler[],
    { attempt, stale }: { attempt: number; stale: boolean },
  ): Promise<{ handler: string; error: unknown }[]> {
    const done = new Set(row.completedHandlers);
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
    row: DispatchRow,
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
}
