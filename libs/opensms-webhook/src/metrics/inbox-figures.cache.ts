import { type InboxFigures, SharedInboxFigures } from '../inbox/inbox-figures';
import type { SmsEventQueries } from '../inbox/sms-event.queries';
import type { FailureBurst } from '../internal/failure-burst';
import { withTimeout } from '../internal/with-timeout';
import { messages } from '../opensms-webhook.messages';
import type { InboxFiguresSource } from './sms-webhook.metrics';

/**
 * The gauges' inbox figures ({@link SharedInboxFigures}, reused for `inboxCacheMs`), never awaited by
 * a scrape for longer than `inboxTimeoutMs`: a failed or late read is logged and leaves the gauges as they are.
 */
export class InboxFiguresCache implements InboxFiguresSource {
  private readonly figures: SharedInboxFigures;

  constructor(
    queries: SmsEventQueries,
    private readonly options: { inboxCacheMs: number; inboxTimeoutMs: number },
    private readonly warning: FailureBurst,
  ) {
    this.figures = new SharedInboxFigures(queries, options.inboxCacheMs);
  }

  async read(): Promise<InboxFigures | null> {
    try {
      return await withTimeout(this.figures.read(), this.options.inboxTimeoutMs, `no answer within ${this.options.inboxTimeoutMs} ms`);
    } catch (error) {
      this.warning.warn(messages.metricsInboxFailed(error));
      return null;
    }
  }
}
