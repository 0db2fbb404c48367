export { OpenSmsWebhookConsoleModule } from './opensms-webhook-console.module';
export type {
  OpenSmsConsoleAuthorize,
  OpenSmsConsoleRequest,
  OpenSmsWebhookConsoleExtras,
  OpenSmsWebhookConsoleOptions,
} from './opensms-webhook-console-options.interface';
