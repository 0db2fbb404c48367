export {
  OpenSmsWebhookHealthIndicator,
  type OpenSmsWebhookHealthPart,
  type OpenSmsWebhookHealthPartStatus,
} from './opensms-webhook.health';
export type { OpenSmsWebhookHealthThresholds } from './opensms-webhook-health.thresholds';
