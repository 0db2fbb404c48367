import { CreateOpenSmsWebhookInbox1764316800000 } from './1764316800000-create-opensms-webhook-inbox';
import { IndexProcessedEventsByMessage1764500000000 } from './1764500000000-index-processed-events-by-message';
import { AddOpenSmsWebhookOutbox1764510000000 } from './1764510000000-add-opensms-webhook-outbox';
import { AddOpenSmsWebhookTenant1764520000000 } from './1764520000000-add-opensms-webhook-tenant';
import { AddOpenSmsWebhookConsoleIndexes1764530000000 } from './1764530000000-add-opensms-webhook-console-indexes';
import { AddOpenSmsWebhookTraceContext1764540000000 } from './1764540000000-add-opensms-webhook-trace-context';
import { SplitOpenSmsWebhookEventState1764600000000 } from './1764600000000-split-opensms-webhook-event-state';
import { AddOpenSmsWebhookReprocess1764700000000 } from './1764700000000-add-opensms-webhook-reprocess';

/**
 * The library's TypeORM migrations, in order. Add them to your DataSource's `migrations`
 * (next to your own) and run them as you run yours.
 */
export const OPENSMS_WEBHOOK_MIGRATIONS = [
  CreateOpenSmsWebhookInbox1764316800000,
  IndexProcessedEventsByMessage1764500000000,
  AddOpenSmsWebhookOutbox1764510000000,
  AddOpenSmsWebhookTenant1764520000000,
  AddOpenSmsWebhookConsoleIndexes1764530000000,
  AddOpenSmsWebhookTraceContext1764540000000,
  SplitOpenSmsWebhookEventState1764600000000,
  AddOpenSmsWebhookReprocess1764700000000,
];
