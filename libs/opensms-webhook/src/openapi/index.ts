export { addOpenSmsWebhookToDocument, OPENSMS_OPENAPI_SCHEMAS, type OpenSmsWebhookDocumentOptions } from './sms-webhook.openapi';
