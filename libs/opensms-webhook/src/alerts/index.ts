export { OpenSmsWebhookAlertsModule } from './opensms-webhook-alerts.module';
export type { OpenSmsWebhookAlertsOptions } from './opensms-webhook-alerts-options.interface';
export {
  BacklogAlert,
  ConsoleAccessRefusedAlert,
  OPENSMS_ALERTS,
  type OpenSmsWebhookAlertName,
  SignatureFailuresAlert,
  SmsEventDeadAlert,
} from './opensms-alerts.events';
export { OpenSmsWebhookAlerts } from './opensms-webhook.alerts';
export { EventEmitterMissingError } from '../errors/event-emitter-missing.error';
export { InvalidAlertsOptionsError } from '../errors/invalid-alerts-options.error';
