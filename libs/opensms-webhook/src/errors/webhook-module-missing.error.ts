/** The console was mounted in an application that does not register `OpenSmsWebhookModule`. */
export class WebhookModuleMissingError extends Error {
  constructor() {
    super(
      'OpenSmsWebhookConsoleModule shows the inbox of OpenSmsWebhookModule, which this application does not ' +
        'register. Import OpenSmsWebhookModule.forRoot(...) (or forRootAsync) in the same application.',
    );
    this.name = 'WebhookModuleMissingError';
  }
}
