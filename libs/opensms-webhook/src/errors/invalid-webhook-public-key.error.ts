/** A configured or resolved Standard Webhooks public key (`whpk_…`) cannot be used. */
export class InvalidWebhookPublicKeyError extends Error {
  constructor(problem: string) {
    super(
      `OpenSmsWebhookModule: ${problem}. Give the sender's Ed25519 public key as "whpk_<base64 of its 32 bytes>" in ` +
        'publicKeys (the "whsk_" secret key stays with the sender); give a list to rotate keys.',
    );
    this.name = 'InvalidWebhookPublicKeyError';
  }
}
