export { dispatchToHandlers, type SmsEventPayload } from './dispatch-to-handlers';
export { smsEventPayload } from './sms-event-payload';
export { signWebhook, type SignedWebhook, type SignWebhookOptions } from './sign-webhook';
export { createWebhookKeyPair } from './create-webhook-key-pair';
export type { WebhookKeyPair } from '../ingest/webhook-ed25519-key';
