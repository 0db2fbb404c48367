export { OpenSmsWebhookAlertsModule } from './opensms-webhook-alerts.module';
export type { OpenSmsWebhookAlertsOptions } from './opensms-webhook-alerts-options.interface';
export { BacklogAlert, OPENSMS_ALERTS, type OpenSmsAlertName, SignatureFailuresAlert, SmsEventDeadAlert } from './opensms-alerts.events';
export { SmsWebhookAlerts } from './sms-webhook.alerts';
