export { InvalidModuleOptionsError } from './invalid-module-options.error';
export { InvalidWebhookSecretError } from './invalid-webhook-secret.error';
export { RawBodyMissingError } from './raw-body-missing.error';
export { RequestScopedHandlerError } from './request-scoped-handler.error';
