import { CreateOpenSmsWebhookInbox1764316800000 } from './1764316800000-create-opensms-webhook-inbox';
import { AddOpenSmsWebhookTenant1764520000000 } from './1764520000000-add-opensms-webhook-tenant';

/**
 * The library's TypeORM migrations, in order. Add them to your DataSource's `migrations`
 * (next to your own) and run them as you run yours.
 */
export const OPENSMS_WEBHOOK_MIGRATIONS = [CreateOpenSmsWebhookInbox1764316800000, AddOpenSmsWebhookTenant1764520000000];

export { AddOpenSmsWebhookTenant1764520000000, CreateOpenSmsWebhookInbox1764316800000 };
