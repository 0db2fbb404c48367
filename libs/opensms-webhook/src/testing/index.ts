export { dispatchToHandlers, type SmsEventPayload } from './dispatch-to-handlers';
export { smsEventPayload } from './sms-event-payload';
export { signWebhook, type SignedWebhook, type SignWebhookOptions } from './sign-webhook';
