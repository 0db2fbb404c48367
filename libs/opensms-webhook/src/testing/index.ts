export { dispatchToHandlers, type OpenSmsPayload } from './dispatch-to-handlers';
export { signWebhook, type SignedWebhook, type SignWebhookOptions } from './sign-webhook';
