/** `OpenSmsWebhookAlertsModule.forRoot()` options that cannot work; the message names each one. */
export class InvalidAlertsOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`OpenSmsWebhookAlertsModule options are invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidAlertsOptionsError';
  }
}
