import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UnrecoverableError } from 'bullmq';
import type { DataSource, QueryRunner } from 'typeorm';
import { SmsEventDispatchError, type SmsEventHandlerFailure } from '../errors/sms-event-dispatch.error';
import { toSmsEvent, type SmsEvent, type UnknownSmsEvent } from '../events/sms-events';
import { type DispatchRow, SmsEventLifecycle } from '../inbox/sms-event.lifecycle';
import { messages } from '../opensms-webhook.messages';
import { type BoundSmsEventHandler, SmsEventHandlerRegistry } from './sms-event-handler.registry';

/** How one attempt at an event ended, when it did not throw. */
export type DispatchOutcome = 'processed' | 'ignored' | 'skipped';

interface Attempt {
  /** 1-based number of this attempt. */
  attempt: number;
  /** No retry follows a failure of this attempt. */
  isLast: boolean;
}

/**
 * Runs a stored event through its handlers: under the message's lock, each handler in its own
 * transaction together with its completion mark, skipping handlers that already committed.
 */
@Injectable()
export class SmsEventDispatcher {
  private readonly logger = new Logger('OpenSmsWebhook');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lifecycle: SmsEventLifecycle,
    private readonly registry: SmsEventHandlerRegistry,
  ) {}

  async dispatch(eventId: string, { attempt, isLast }: Attempt): Promise<DispatchOutcome> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const outcome = await this.lifecycle.withMessageLock(runner, eventId, async () => {
        const row = await this.lifecycle.claim(eventId, attempt, runner);
        if (!row) return 'skipped';
        const handlers = this.registry.handlersFor(row.event);
        if (handlers.length === 0) {
          await this.lifecycle.setState(row.id, 'ignored', { attempts: attempt }, runner);
          this.logger.log(messages.ignored(row.id, row.event));
          return 'ignored';
        }
        const { stale } = row;
        const { failures, markedProcessed } = await this.runPending(runner, row, handlers, { attempt, stale });
        if (failures.length === 0) {
          if (!markedProcessed) await this.lifecycle.setState(row.id, 'processed', { lastError: null, attempts: attempt }, runner);
          this.logger.log(messages.processed(row.id, row.event, stale));
          return 'processed';
        }
        const permanent = isLast || failures.some(({ error }) => error instanceof UnrecoverableError);
        const failure = new SmsEventDispatchError(failures, permanent);
        await this.lifecycle.setState(row.id, permanent ? 'dead' : 'failed', { lastError: failure.message, attempts: attempt }, runner);
        if (permanent) this.logger.error(messages.dead(row.id, row.event, attempt, failure.message));
        throw failure;
      });
      return outcome ?? 'skipped';
    } finally {
      await runner.release();
    }
  }

  /**
   * Runs the handlers that have not committed yet. `processed` rides in the last handler's
   * transaction when all succeeded, so that a normal event costs one durable commit.
   */
  private async runPending(
    runner: QueryRunner,
    row: DispatchRow,
    handlers: readonly BoundSmsEventHandler[],
    { attempt, stale }: { attempt: number; stale: boolean },
  ): Promise<{ failures: SmsEventHandlerFailure[]; markedProcessed: boolean }> {
    const done = new Set(row.completedHandlers);
    const pending = handlers.filter((handler) => !done.has(handler.name));
    const event = toSmsEvent(row);
    const failures: SmsEventHandlerFailure[] = [];
    let markedProcessed = false;
    for (const [index, handler] of pending.entries()) {
      const completesEvent = index === pending.length - 1 && failures.length === 0;
      try {
        await this.runInTransaction(runner, handler, event, row, { attempt, stale, completesEvent });
        markedProcessed = completesEvent;
      } catch (error) {
        this.logger.warn(messages.handlerFailed(row.id, handler.name, attempt, error));
        failures.push({ handler: handler.name, error });
      }
    }
    return { failures, markedProcessed };
  }

  private async runInTransaction(
    runner: QueryRunner,
    handler: BoundSmsEventHandler,
    event: SmsEvent | UnknownSmsEvent,
    row: DispatchRow,
    { attempt, stale, completesEvent }: { attempt: number; stale: boolean; completesEvent: boolean },
  ): Promise<void> {
    await runner.startTransaction();
    try {
      await handler.invoke(event, { manager: runner.manager, eventId: row.id, attempt, stale, receivedAt: row.receivedAt, tenant: row.tenant });
      await this.lifecycle.recordHandlerRun(row.id, handler.name, completesEvent ? attempt : undefined, runner);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    }
  }
}
