/** An integration (the console, the alerts) was mounted in an application that does not register `OpenSmsWebhookModule`. */
export class WebhookModuleMissingError extends Error {
  constructor(integration = 'OpenSmsWebhookConsoleModule') {
    super(
      `${integration} works on the inbox of OpenSmsWebhookModule, which this application does not ` +
        'register. Import OpenSmsWebhookModule.forRoot(...) (or forRootAsync) in the same application.',
    );
    this.name = 'WebhookModuleMissingError';
  }
}
