import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { KNOWN_SMS_EVENTS } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookConsoleModule } from '@opensms/nestjs-webhooks/console';
import { addOpenSmsWebhookToDocument, OPENSMS_OPENAPI_SCHEMAS } from '@opensms/nestjs-webhooks/openapi';
import { createWebhookKeyPair, signWebhook, smsEventPayload } from '@opensms/nestjs-webhooks/testing';
import { TEST_SECRET, useTestApp } from '../support/test-app';
import { postSigned } from '../support/webhook-client';

describe('OpenAPI document of the webhook route', () => {
  const host = useTestApp('openapi', {
    imports: [OpenSmsWebhookConsoleModule.register({ authorize: () => true })],
  });
  const createDocument = (version?: string): OpenAPIObject => {
    const config = new DocumentBuilder().setTitle('Host API').setVersion('1');
    if (version) config.setOpenAPIVersion(version);
    return SwaggerModule.createDocument(host.app, config.build());
  };

  it("lists none of the console's routes: its pages and actions are for people, not an API", () => {
    const paths = Object.keys(createDocument('3.1.0').paths);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((route) => route.startsWith('/opensms'))).toEqual([]);
  });

  it('adds an OpenAPI 3.1 webhooks entry with the payload of each event type, the signature headers and every answer', () => {
    const generated = createDocument('3.1.0');
    expect(Object.keys(generated.paths['/webhooks/sms'] ?? {})).toContain('post');
    const document = addOpenSmsWebhookToDocument(generated, { path: '/webhooks/sms' });

    const operation = document.webhooks?.opensmsSmsEvent?.post as OperationObject;
    expect(operation).toBeDefined();
    // The bare operation Nest generated from the module's controller is replaced, not left next to it.
    expect(document.paths['/webhooks/sms']?.post).toBeUndefined();

    expect((operation.parameters as ParameterObject[]).map((parameter) => [parameter.name, parameter.in, parameter.required])).toEqual([
      ['webhook-id', 'header', true],
      ['webhook-timestamp', 'header', true],
      ['webhook-signature', 'header', true],
    ]);
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '413', '415', '500', '503']);
    expect(operation.responses['503']).toMatchObject({ headers: { 'Retry-After': { schema: { type: 'integer' } } } });
    expect(operation.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${OPENSMS_OPENAPI_SCHEMAS.receipt}` } } },
    });

    const body = (operation.requestBody as { content: Record<string, { schema: SchemaObject }> }).content['application/json'].schema;
    expect(body.discriminator).toEqual({
      propertyName: 'event',
      mapping: {
        'sms.delivered': '#/components/schemas/OpenSmsDeliveredEvent',
        'sms.failed': '#/components/schemas/OpenSmsFailedEvent',
        'sms.pending': '#/components/schemas/OpenSmsPendingEvent',
      },
    });
    const failed = document.components?.schemas?.OpenSmsFailedEvent as SchemaObject;
    expect(failed.required).toEqual(['event', 'message_id', 'phone', 'status', 'timestamp']);
    expect(Object.keys(failed.properties ?? {})).toEqual(['event', 'message_id', 'phone', 'status', 'error', 'timestamp']);
    expect(failed.properties?.event).toMatchObject({ enum: ['sms.failed'] });
  });

  it('describes payloads the route accepts: each event type as the testing kit builds it fits its schema and is answered 200', async () => {
    const document = addOpenSmsWebhookToDocument(createDocument('3.1.0'));
    for (const [event, type] of Object.entries(KNOWN_SMS_EVENTS)) {
      const schema = document.components?.schemas?.[OPENSMS_OPENAPI_SCHEMAS[type]] as SchemaObject;
      const properties = schema.properties as Record<string, SchemaObject>;
      const payload = smsEventPayload({ event, message_id: `msg_openapi_${type}` }) as Record<string, unknown>;

      expect(schema.required?.filter((field) => payload[field] === undefined)).toEqual([]);
      expect(Object.keys(payload).filter((field) => !(field in properties))).toEqual([]);
      expect(payload.phone).toMatch(new RegExp(properties.phone.pattern as string));
      expect(properties.status.enum).toContain(payload.status);
      expect((await postSigned(host.endpoint, payload)).status).toBe(200);
    }
  });

  it('describes the signature header of v1, v1a and both kinds of entries as signWebhook writes them', () => {
    const document = addOpenSmsWebhookToDocument(createDocument('3.1.0'));
    const operation = document.webhooks?.opensmsSmsEvent?.post as OperationObject;
    const signature = (operation.parameters as ParameterObject[]).find((parameter) => parameter.name === 'webhook-signature');
    const pattern = new RegExp((signature?.schema as SchemaObject).pattern as string);
    const { secretKey } = createWebhookKeyPair();

    for (const keys of [TEST_SECRET, secretKey, [TEST_SECRET, secretKey]]) {
      expect(signWebhook(smsEventPayload(), keys).headers['webhook-signature']).toMatch(pattern);
    }
    expect(signature?.description).toMatch(/`v1a,<base64 Ed25519 signature/);
  });

  it('keeps an OpenAPI 3.0 document valid for its version: the route under paths, no webhooks', () => {
    const document = addOpenSmsWebhookToDocument(createDocument(), { signatureScheme: 'stripe' });

    expect(document.openapi).toBe('3.0.0');
    expect(document.webhooks).toBeUndefined();
    const operation = document.paths['/webhooks/sms'].post as OperationObject;
    expect(operation.operationId).toBe('receiveOpenSmsWebhook');
    expect((operation.parameters as ParameterObject[]).map((parameter) => parameter.name)).toEqual(['opensms-signature']);
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '413', '415', '500', '503']);
  });
});
