import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { DataSource, QueryRunner } from 'typeorm';
import { SmsEventDispatchError, type SmsEventHandlerFailure } from '../errors/sms-event-dispatch.error';
import { toSmsEvent } from '../events/sms-events';
import { cutConnection } from '../inbox/connection-cut';
import { type DispatchEnd, type DispatchRow, SmsEventLifecycle } from '../inbox/sms-event.lifecycle';
import { MicroBatcher } from '../internal/micro-batcher';
import { OPENSMS_DATA_SOURCE, OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { secondsSince, SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import type { DispatchTrace } from '../tracing/sms-webhook.traces';
import { SmsWebhookTracing } from '../tracing/sms-webhook.tracing';
import { type BoundSmsEventHandler, SmsEventHandlerRegistry } from './sms-event-handler.registry';

/**
 * Once a batch has run this long (milliseconds), it starts no further event and commits: bounds how
 * long a slow handler delays the events batched with it, and how long the batch holds its message locks.
 */
const BATCH_MAX_MS = 1000;

/** How one attempt at an event ended, when it did not throw. */
export type DispatchOutcome = 'processed' | 'ignored' | 'skipped';

interface Attempt {
  /** 1-based number of this attempt. */
  attempt: number;
  /** No retry follows a failure of this attempt. */
  isLast: boolean;
}

interface DispatchRequest extends Attempt {
  eventId: string;
}

/** What a batch did with one event: an outcome, a failure to throw, or nothing yet (the next batch will). */
type DispatchResult = { outcome: DispatchOutcome } | { failure: SmsEventDispatchError } | 'deferred';

/** The savepoint each handler runs after, so that a failure undoes only that handler's writes. */
const HANDLER_SAVEPOINT = 'opensms_webhook_handler';

/** How long a batch runs before its events are shown as `processing` (see {@link SmsEventLifecycle.markProcessing}). */
const PROCESSING_MARK_AFTER_MS = 500;

/** Inbox ids are UUIDs; any other job id cannot name a row. */
const INBOX_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs stored events through their handlers. Events whose jobs run at the same time are processed
 * together, up to `worker.batchSize`, in one transaction: their messages' locks, one claim (a
 * read), each handler inside a savepoint of its own (so a failing handler undoes only its own
 * writes), then the states and completed handlers in one statement and one commit. Handlers that
 * committed in an earlier attempt are skipped.
 */
@Injectable()
export class SmsEventDispatcher {
  private readonly logger = new Logger('OpenSmsWebhook');
  private readonly batcher: MicroBatcher<DispatchRequest, DispatchResult>;
  /** The connections of the batches in flight. */
  private readonly batchConnections = new Set<unknown>();

  constructor(
    @Inject(OPENSMS_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly lifecycle: SmsEventLifecycle,
    private readonly registry: SmsEventHandlerRegistry,
    private readonly telemetry: SmsWebhookTelemetry,
    private readonly tracing: SmsWebhookTracing,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {
    // NOTE: enough batches in flight for all `worker.concurrency` jobs (each holds one connection), so that
    // `batchSize: 1` runs events side by side as unbatched workers do.
    const batchesInFlight = Math.ceil(options.worker.concurrency / options.worker.batchSize);
    this.batcher = new MicroBatcher((requests) => this.dispatchBatch(requests), options.worker.batchSize, batchesInFlight);
  }

  /**
   * Processes an event for one attempt, in the next batch. Throws {@link SmsEventDispatchError}
   * when a handler failed (`permanent` when the event is now `dead`), or the database's error when
   * the batch could not commit (nothing of it was kept).
   */
  async dispatch(eventId: string, { attempt, isLast }: Attempt): Promise<DispatchOutcome> {
    if (!INBOX_ID.test(eventId)) return 'skipped';
    for (;;) {
      const result = await this.batcher.add({ eventId, attempt, isLast });
      if (result === 'deferred') continue;
      if ('failure' in result) throw result.failure;
      return result.outcome;
    }
  }

  /**
   * Cuts the connection of every batch still in flight (shutdown, once `worker.shutdownGraceMs` is over):
   * the server rolls their transactions back, nothing of them is kept, and their jobs are taken over
   * once their locks expire. Returns how many were cut.
   */
  cutRunningBatches(): number {
    const cut = [...this.batchConnections].filter((connection) => cutConnection(connection)).length;
    this.batchConnections.clear();
    return cut;
  }

  private async dispatchBatch(requests: DispatchRequest[]): Promise<DispatchResult[]> {
    const byId = new Map(requests.map((request) => [request.eventId, request]));
    const ids = [...byId.keys()];
    const runner = this.dataSource.createQueryRunner();
    const marker = setTimeout(() => void this.lifecycle.markProcessing(ids).catch(() => undefined), PROCESSING_MARK_AFTER_MS);
    let connection: unknown;
    try {
      connection = await runner.connect();
      this.batchConnections.add(connection);
      await runner.startTransaction();
      const batch: BatchRecord = { ends: [], results: new Map(), traces: [], afterCommit: [] };
      try {
        await this.lifecycle.lockMessages(ids, runner);
        const rows = await this.lifecycle.claim(ids, runner);
        await this.runClaimed(runner, rows, byId, batch);
        await this.lifecycle.complete(batch.ends, runner);
        await runner.commitTransaction();
      } catch (error) {
        await rollBack(runner);
        batch.traces.forEach((trace) => trace.rollBack(error));
        throw error;
      }
      batch.traces.forEach((trace) => trace.end());
      batch.afterCommit.forEach((report) => report());
      return requests.map((request) => batch.results.get(request.eventId) ?? { outcome: 'skipped' });
    } finally {
      clearTimeout(marker);
      this.batchConnections.delete(connection);
      await runner.release();
    }
  }

  /**
   * Runs the claimed events in their order (by message, then time), until the batch has run for
   * {@link BATCH_MAX_MS}; the first event always runs, the ones not started are deferred.
   */
  private async runClaimed(
    runner: QueryRunner,
    rows: DispatchRow[],
    requests: Map<string, DispatchRequest>,
    batch: BatchRecord,
  ): Promise<void> {
    const startedAt = Date.now();
    for (const [index, row] of rows.entries()) {
      if (index > 0 && Date.now() - startedAt >= BATCH_MAX_MS) {
        batch.results.set(row.id, 'deferred');
        continue;
      }
      await this.runEvent(runner, row, requests.get(row.id)!, batch);
    }
  }

  private async runEvent(runner: QueryRunner, row: DispatchRow, { attempt, isLast }: Attempt, batch: BatchRecord): Promise<void> {
    const handlers = handlersToRun(this.registry.handlersFor(row.event), row);
    const trace = this.tracing.startDispatch(row, attempt);
    batch.traces.push(trace);
    const committed: string[] = [];
    const end = (state: DispatchEnd['state'], failure: SmsEventDispatchError | null, log?: () => void) => {
      const lastError = failure?.message ?? null;
      batch.ends.push({ eventId: row.id, state, attempt, lastError, handlers: committed });
      trace.outcome(state, failure);
      batch.afterCommit.push(() => {
        log?.();
        const { id: eventId, event, stale, occurredAt } = row;
        this.telemetry.attemptEnded({ eventId, event, state, attempt, stale, occurredAt, lastError });
      });
    };
    if (handlers.length === 0 && row.reprocess !== null && row.completedHandlers.length > 0) {
      // NOTE: none of the handlers to run again takes this event any more; it stays what it was before.
      end('processed', null, () => this.logger.log(messages.processed(row.id, row.event, row.stale)));
      batch.results.set(row.id, { outcome: 'processed' });
      return;
    }
    if (handlers.length === 0) {
      end('ignored', null, () => this.logger.log(messages.ignored(row.id, row.event)));
      batch.results.set(row.id, { outcome: 'ignored' });
      return;
    }
    const failures = await this.runPending(runner, row, handlers, attempt, committed, trace);
    if (failures.length === 0) {
      end('processed', null, () => this.logger.log(messages.processed(row.id, row.event, row.stale)));
      batch.results.set(row.id, { outcome: 'processed' });
      return;
    }
    const permanent = isLast || failures.some(({ error }) => error instanceof UnrecoverableError);
    const failure = new SmsEventDispatchError(failures, permanent);
    if (permanent) end('dead', failure, () => this.logger.error(messages.dead(row.id, row.event, attempt, failure.message)));
    else end('failed', failure);
    batch.results.set(row.id, { failure });
  }

  /** Runs the handlers that have not committed yet, each after a savepoint; adds the successful ones to `committed`. */
  private async runPending(
    runner: QueryRunner,
    row: DispatchRow,
    handlers: readonly BoundSmsEventHandler[],
    attempt: number,
    committed: string[],
    trace: DispatchTrace,
  ): Promise<SmsEventHandlerFailure[]> {
    const done = new Set(row.completedHandlers);
    const event = toSmsEvent(row);
    const failures: SmsEventHandlerFailure[] = [];
    for (const handler of handlers.filter(({ name }) => !done.has(name))) {
      // NOTE: savepoints are not released: the commit keeps them all, and each handler costs one
      // round trip less. A newer savepoint of the same name hides the older ones until rolled back to.
      await runner.query(`SAVEPOINT ${HANDLER_SAVEPOINT}`);
      const startedAt = performance.now();
      const run = { eventId: row.id, event: row.event, handler: handler.name };
      try {
        await trace.handler(handler.name, () =>
          handler.invoke(event, {
            manager: runner.manager,
            eventId: row.id,
            attempt,
            stale: row.stale,
            receivedAt: row.receivedAt,
            tenant: row.tenant,
            reprocessed: row.reprocess !== null,
          }),
        );
        committed.push(handler.name);
        this.telemetry.handlerRunEnded({ ...run, seconds: secondsSince(startedAt) });
      } catch (error) {
        this.telemetry.handlerRunEnded({ ...run, seconds: secondsSince(startedAt), error });
        await runner.query(`ROLLBACK TO SAVEPOINT ${HANDLER_SAVEPOINT}`);
        this.logger.warn(messages.handlerFailed(row.id, handler.name, attempt, error));
        failures.push({ handler: handler.name, error });
      }
    }
    return failures;
  }
}

/** What a batch's events did, written and reported once the batch commits. */
interface BatchRecord {
  ends: DispatchEnd[];
  results: Map<string, DispatchResult>;
  /** The spans of the batch's attempts, ended once the batch committed or rolled back. */
  traces: DispatchTrace[];
  /** Log lines and telemetry reports, made only once the batch has committed. */
  afterCommit: (() => void)[];
}

/** The handlers of an event's type, narrowed to those its reprocessing names, if it is queued for one that names some. */
function handlersToRun(handlers: BoundSmsEventHandler[], row: Pick<DispatchRow, 'reprocess'>): BoundSmsEventHandler[] {
  const named = row.reprocess?.handlers;
  return named ? handlers.filter((handler) => named.includes(handler.name)) : handlers;
}

/** Rolls back the whole transaction, savepoints included; a connection that broke is left to the pool to discard. */
async function rollBack(runner: QueryRunner): Promise<void> {
  try {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
  } catch {
    // The caller reports the error that made the batch fail.
  }
}
