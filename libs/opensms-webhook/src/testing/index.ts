export { dispatchToHandlers, type OpenSmsPayload } from './dispatch-to-handlers';
export { openSmsPayload } from './open-sms-payload';
export { signWebhook, type SignedWebhook, type SignWebhookOptions } from './sign-webhook';
