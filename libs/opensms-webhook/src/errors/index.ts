export { DuplicateHandlerNameError } from './duplicate-handler-name.error';
export { InboxUnavailableError } from './inbox-unavailable.error';
export { InvalidModuleOptionsError } from './invalid-module-options.error';
export { InvalidWebhookSecretError } from './invalid-webhook-secret.error';
export { RawBodyMissingError } from './raw-body-missing.error';
export { SecretResolverFailedError } from './secret-resolver-failed.error';
export { RequestScopedHandlerError } from './request-scoped-handler.error';
export { SmsEventDispatchError, type SmsEventHandlerFailure } from './sms-event-dispatch.error';
export { WorkerModeRequiredError } from './worker-mode-required.error';
