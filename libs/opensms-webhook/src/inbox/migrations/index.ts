import { CreateOpenSmsWebhookInbox1764316800000 } from './1764316800000-create-opensms-webhook-inbox';
import { AddOpenSmsWebhookConsoleIndexes1764530000000 } from './1764530000000-add-opensms-webhook-console-indexes';

/**
 * The library's TypeORM migrations, in order. Add them to your DataSource's `migrations`
 * (next to your own) and run them as you run yours.
 */
export const OPENSMS_WEBHOOK_MIGRATIONS = [CreateOpenSmsWebhookInbox1764316800000, AddOpenSmsWebhookConsoleIndexes1764530000000];

export { CreateOpenSmsWebhookInbox1764316800000, AddOpenSmsWebhookConsoleIndexes1764530000000 };
