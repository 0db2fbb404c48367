export { OpenSmsWebhookConsoleModule } from './opensms-webhook-console.module';
export type {
  OpenSmsWebhookConsoleAuthorize,
  OpenSmsWebhookConsoleRequest,
  OpenSmsWebhookConsoleExtras,
  OpenSmsWebhookConsoleOptions,
} from './opensms-webhook-console-options.interface';
export { InvalidConsoleOptionsError } from '../errors/invalid-console-options.error';
