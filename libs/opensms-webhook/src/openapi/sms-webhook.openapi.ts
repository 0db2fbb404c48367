import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { KNOWN_SMS_EVENTS, type KnownSmsEventName, SMS_STATUSES } from '../events/sms-event-types';
import { E164, EVENT_NAME, PAYLOAD_MAX_LENGTHS } from '../ingest/sms-event-payload.dto';
import { STANDARD_WEBHOOK_HEADERS } from '../opensms-webhook.constants';
import { DEFAULT_MODULE_EXTRAS } from '../opensms-webhook.options';

/** Where and how {@link addOpenSmsWebhookToDocument} describes the webhook route. */
export interface OpenSmsWebhookDocumentOptions {
  /**
   * Route of the endpoint as clients see it: the module's `path`, under your global prefix if any.
   * @default '/webhooks/sms'
   */
  path?: string;
  /**
   * `'webhooks'`: an OpenAPI 3.1 `webhooks` entry (a 3.0 document becomes `openapi: '3.1.0'`);
   * `'paths'`: the route under `paths`, valid in OpenAPI 3.0 as well.
   * @default 'webhooks' for a 3.1 document, else 'paths'
   */
  placement?: 'webhooks' | 'paths';
  /** Name of the `webhooks` entry. @default 'opensmsSmsEvent' */
  name?: string;
  /** Signature headers of the module's `ingest.signatureScheme`. @default 'standard-webhooks' */
  signatureScheme?: 'standard-webhooks' | 'stripe';
  /** Header of the `'stripe'` scheme (the module's `ingest.signatureHeader`). @default 'opensms-signature' */
  signatureHeader?: string;
  /** Tag of the operation. @default 'OpenSMS webhooks' */
  tag?: string;
}

/** Names of the component schemas added to the document. */
export const OPENSMS_OPENAPI_SCHEMAS = {
  delivered: 'OpenSmsDeliveredEvent',
  failed: 'OpenSmsFailedEvent',
  pending: 'OpenSmsPendingEvent',
  receipt: 'OpenSmsEventReceipt',
  invalid: 'OpenSmsInvalidPayload',
  error: 'OpenSmsWebhookError',
} as const;

/**
 * Adds the OpenSMS webhook route to a document built by `SwaggerModule.createDocument`: the
 * payload of each event type (`sms.delivered`, `sms.failed`, `sms.pending`), the signature headers
 * and every answer of the HTTP contract (200, 400, 401, 413, 415, 500, 503 with `Retry-After`).
 * The route's bare operation that Nest generated from the module's controller is replaced.
 * Returns the same document.
 *
 * ```ts
 * const document = SwaggerModule.createDocument(app, new DocumentBuilder().setOpenAPIVersion('3.1.0').build());
 * SwaggerModule.setup('docs', app, addOpenSmsWebhookToDocument(document, { path: '/webhooks/sms' }));
 * ```
 */
export function addOpenSmsWebhookToDocument(document: OpenAPIObject, options: OpenSmsWebhookDocumentOptions = {}): OpenAPIObject {
  const path = `/${(options.path ?? DEFAULT_MODULE_EXTRAS.path).replace(/^\/+/, '')}`;
  const placement = options.placement ?? (document.openapi.startsWith('3.1') ? 'webhooks' : 'paths');

  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...componentSchemas() } };
  const generated = document.paths[path];
  if (generated) {
    delete generated.post;
    if (Object.keys(generated).every((key) => key === 'parameters' || key === 'summary' || key === 'description'))
      delete document.paths[path];
  }
  const operation = webhookOperation(options);
  if (placement === 'webhooks') {
    if (document.openapi.startsWith('3.0')) document.openapi = '3.1.0';
    document.webhooks = { ...document.webhooks, [options.name ?? 'opensmsSmsEvent']: { post: operation } };
  } else {
    document.paths = { ...document.paths, [path]: { ...document.paths[path], post: operation } };
  }
  return document;
}

function webhookOperation(options: OpenSmsWebhookDocumentOptions): OperationObject {
  const schemas = Object.keys(KNOWN_SMS_EVENTS).map((event) => ref(schemaNameOf(event as KnownSmsEventName)));
  return {
    operationId: 'receiveOpenSmsWebhook',
    tags: [options.tag ?? 'OpenSMS webhooks'],
    summary: 'Receive an OpenSMS delivery webhook',
    description:
      'Signed by OpenSMS over the exact bytes of the body. Answered 200 only once the event is stored; deliveries ' +
      'with the same dedupe key answer the same id with `duplicate: true`. Event types this version does not know ' +
      'are stored and answered 200 as well (they need only `event`).',
    parameters: signatureHeaders(options),
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            oneOf: schemas,
            discriminator: {
              propertyName: 'event',
              mapping: Object.fromEntries(
                Object.keys(KNOWN_SMS_EVENTS).map((event) => [event, `#/components/schemas/${schemaNameOf(event as KnownSmsEventName)}`]),
              ),
            },
          },
        },
      },
    },
    responses: {
      '200': jsonResponse('Stored (or already stored: `duplicate: true`)', OPENSMS_OPENAPI_SCHEMAS.receipt),
      '400': jsonResponse(
        'Valid signature, invalid body: kept in the inbox as `invalid`; or a body that is not JSON',
        OPENSMS_OPENAPI_SCHEMAS.invalid,
      ),
      '401': jsonResponse(
        'Missing, malformed or wrong signature, or a timestamp out of tolerance: nothing stored',
        OPENSMS_OPENAPI_SCHEMAS.error,
      ),
      '413': jsonResponse('Body larger than `ingest.bodyLimitBytes`: nothing stored', OPENSMS_OPENAPI_SCHEMAS.error),
      '415': jsonResponse('`Content-Type` other than `application/json`: nothing stored', OPENSMS_OPENAPI_SCHEMAS.error),
      '500': jsonResponse('The application was created without `{ rawBody: true }` (Fastify)', OPENSMS_OPENAPI_SCHEMAS.error),
      '503': {
        ...jsonResponse(
          'Inbox unreachable or busy, the receiver busy (event loop late, calls waiting too long for the inbox), or `tenants.secretResolver` failed: nothing stored; deliver again after `Retry-After`',
          OPENSMS_OPENAPI_SCHEMAS.error,
        ),
        headers: { 'Retry-After': retryAfterHeader() },
      },
    },
  };
}

function signatureHeaders(options: OpenSmsWebhookDocumentOptions): ParameterObject[] {
  if (options.signatureScheme === 'stripe') {
    return [
      header(
        options.signatureHeader ?? 'opensms-signature',
        'Stripe-style signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`',
        {
          type: 'string',
          pattern: '^t=\\d+(,v1=[0-9a-f]+)+$',
        },
      ),
    ];
  }
  return [
    header(STANDARD_WEBHOOK_HEADERS.id, 'Delivery id (Standard Webhooks), the same on every retry of one delivery', { type: 'string' }),
    header(STANDARD_WEBHOOK_HEADERS.timestamp, 'Unix seconds when the call was signed; refused outside `ingest.toleranceSeconds`', {
      type: 'string',
      pattern: '^\\d+$',
    }),
    header(
      STANDARD_WEBHOOK_HEADERS.signature,
      'Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` and `v1a,<base64 Ed25519 signature of "id.timestamp.body">`; any one may match',
      { type: 'string', pattern: '^v1a?,[A-Za-z0-9+/=]+( v1a?,[A-Za-z0-9+/=]+)*$' },
    ),
  ];
}

function componentSchemas(): Record<string, SchemaObject> {
  const events = Object.fromEntries(
    (Object.keys(KNOWN_SMS_EVENTS) as KnownSmsEventName[]).map((event) => [schemaNameOf(event), eventSchema(event)]),
  );
  return {
    ...events,
    [OPENSMS_OPENAPI_SCHEMAS.receipt]: {
      type: 'object',
      required: ['status', 'id', 'duplicate'],
      properties: {
        status: { type: 'string', enum: ['received'] },
        id: { type: 'string', description: 'Inbox id' },
        duplicate: { type: 'boolean', description: '`true` when this event had already been received; it is not processed again' },
      },
    },
    [OPENSMS_OPENAPI_SCHEMAS.invalid]: {
      type: 'object',
      required: ['statusCode', 'message'],
      properties: {
        statusCode: { type: 'integer', enum: [400] },
        error: { type: 'string' },
        message: { type: 'string' },
        problems: { type: 'array', items: { type: 'string' }, description: 'What is wrong with the body' },
        id: { type: 'string', description: 'Inbox id of the call kept as `invalid`' },
      },
    },
    [OPENSMS_OPENAPI_SCHEMAS.error]: {
      type: 'object',
      required: ['statusCode', 'message'],
      properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
    },
  };
}

function eventSchema(event: KnownSmsEventName): SchemaObject {
  const status = KNOWN_SMS_EVENTS[event];
  return {
    type: 'object',
    description: `An \`${event}\` call as OpenSMS sends it`,
    required: ['event', 'message_id', 'phone', 'status', 'timestamp'],
    properties: {
      event: { type: 'string', enum: [event], pattern: EVENT_NAME.source, maxLength: PAYLOAD_MAX_LENGTHS.event },
      message_id: { type: 'string', minLength: 1, maxLength: PAYLOAD_MAX_LENGTHS.message_id, example: 'msg_1' },
      phone: { type: 'string', pattern: E164.source, description: 'E.164', example: '+254712345678' },
      status: { type: 'string', enum: [...SMS_STATUSES], example: status },
      error: {
        type: 'string',
        maxLength: PAYLOAD_MAX_LENGTHS.error,
        description: status === 'failed' ? 'Why the message failed' : 'Optional',
        ...(status === 'failed' ? { example: 'Invalid phone number' } : {}),
      },
      timestamp: { type: 'string', format: 'date-time', example: '2026-01-13T12:00:00Z' },
    },
  };
}

function schemaNameOf(event: KnownSmsEventName): string {
  return OPENSMS_OPENAPI_SCHEMAS[KNOWN_SMS_EVENTS[event]];
}

function header(name: string, description: string, schema: SchemaObject): ParameterObject {
  return { name, in: 'header', required: true, description, schema };
}

function jsonResponse(description: string, schema: string): ResponseObject {
  return { description, content: { 'application/json': { schema: ref(schema) } } };
}

function retryAfterHeader(): HeaderObject {
  return { description: 'Seconds to wait before delivering again (`ingest.retryAfterSeconds`)', schema: { type: 'integer', minimum: 0 } };
}

function ref(schema: string): ReferenceObject {
  return { $ref: `#/components/schemas/${schema}` };
}
