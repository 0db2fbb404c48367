/** The host application does not keep raw request bodies, so signatures cannot be checked. */
export class RawBodyMissingError extends Error {
  constructor() {
    super(
      'OpenSmsWebhookModule: the request has no raw body, so its signature cannot be verified over the bytes ' +
        'OpenSMS sent. Create the application with raw bodies enabled: ' +
        'NestFactory.create(AppModule, { rawBody: true }) (Express) or ' +
        'NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true }) (Fastify).',
    );
    this.name = 'RawBodyMissingError';
  }
}
