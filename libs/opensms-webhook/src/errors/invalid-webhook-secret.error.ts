/** A configured or resolved webhook secret cannot be used. */
export class InvalidWebhookSecretError extends Error {
  constructor(problem: string) {
    super(
      `OpenSmsWebhookModule: ${problem}. Use the signing secret shown in OpenSMS (Settings → Webhooks), ` +
        'either as "whsec_<base64>" or as the raw string; give a list to rotate secrets.',
    );
    this.name = 'InvalidWebhookSecretError';
  }
}
