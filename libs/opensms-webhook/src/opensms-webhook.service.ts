import { Injectable, Optional } from '@nestjs/common';
import type { SmsWebhookEventEntity } from './inbox/sms-webhook-event.entity';
import type { SmsWebhookEventState } from './inbox/sms-webhook-event-state';
import { type InboxFilter, SmsWebhookInbox } from './inbox/sms-webhook-inbox';
import { SmsEventReconciler } from './inbox/sms-event.reconciler';
import { SmsWebhookRetention } from './inbox/sms-webhook.retention';
import { SmsEventProducer } from './queue/sms-event.producer';

/** Operations on the inbox: look-ups, counts, replay of dead events, reconciliation, retention. */
@Injectable()
export class OpenSmsWebhookService {
  constructor(
    private readonly inbox: SmsWebhookInbox,
    private readonly producer: SmsEventProducer,
    @Optional() private readonly reconciler?: SmsEventReconciler,
    @Optional() private readonly retention?: SmsWebhookRetention,
  ) {}

  /** One inbox row by id. */
  findById(id: string): Promise<SmsWebhookEventEntity | null> {
    return this.inbox.findById(id);
  }

  /** Inbox rows matching a filter, newest first (100 by default). */
  find(filter?: InboxFilter): Promise<SmsWebhookEventEntity[]> {
    return this.inbox.find(filter);
  }

  /** Number of rows in each state. */
  countByState(): Promise<Record<SmsWebhookEventState, number>> {
    return this.inbox.countByState();
  }

  /**
   * Runs a `dead` (or `failed`) event again with a fresh set of attempts. Handlers that already
   * committed for it are not run again. Resolves `false` when the event is in no such state.
   */
  async replay(id: string): Promise<boolean> {
    return (await this.replayIds([id])).length === 1;
  }

  /** Replays every `dead` event matching the filter (default: all, 1000 at most); returns their ids. */
  async replayDead(filter: Omit<InboxFilter, 'state'> = {}): Promise<string[]> {
    const dead = await this.inbox.find({ limit: 1000, ...filter, state: 'dead' });
    return this.replayIds(dead.map((row) => row.id));
  }

  /** Enqueues, now, unfinished events older than `olderThanMs` that have no job. Needs a worker-mode module. */
  async reconcile(olderThanMs?: number): Promise<number> {
    return this.requireWorker(this.reconciler).reconcile(olderThanMs);
  }

  /** Prunes processed and ignored rows older than `days` now. Needs a worker-mode module. */
  async prune(days?: number): Promise<number> {
    return this.requireWorker(this.retention).prune(days);
  }

  private async replayIds(ids: readonly string[]): Promise<string[]> {
    const reopened = await this.inbox.reopen(ids);
    await this.producer.requeue(reopened);
    return reopened;
  }

  private requireWorker<T>(part: T | undefined): T {
    if (!part) throw new Error("OpenSmsWebhookModule runs in mode 'ingest': reconcile and prune run in worker processes");
    return part;
  }
}
