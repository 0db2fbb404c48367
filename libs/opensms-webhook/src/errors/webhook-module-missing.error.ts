/**
 * An integration (the console, the metrics, the alerts) was added to an application that does not
 * register `OpenSmsWebhookModule`.
 */
export class WebhookModuleMissingError extends Error {
  /** @param integration the module that needs the inbox */
  constructor(integration = 'OpenSmsWebhookConsoleModule') {
    super(
      `${integration} works on the inbox of OpenSmsWebhookModule, which this application does not ` +
        'register. Import OpenSmsWebhookModule.forRoot(...) (or forRootAsync) in the same application.',
    );
    this.name = 'WebhookModuleMissingError';
  }
}
