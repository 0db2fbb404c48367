import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsEventQueries } from './sms-event.queries';

/** How often retention prunes. */
const RETENTION_INTERVAL_MS = 3_600_000;

/** Prunes processed and ignored events older than `retention.days`, every hour. */
@Injectable()
export class SmsEventRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly queries: SmsEventQueries,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.retention.days === 0) return;
    this.timer = setInterval(() => void this.prune().catch(() => undefined), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Prunes now; resolves to the number of rows deleted. */
  async prune(days = this.options.retention.days): Promise<number> {
    try {
      const count = await this.queries.prune(days);
      if (count > 0) this.logger.log(messages.pruned(count, days));
      return count;
    } catch (error) {
      this.logger.warn(messages.retentionFailed(error));
      throw error;
    }
  }
}
