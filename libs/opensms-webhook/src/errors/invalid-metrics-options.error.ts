/** `OpenSmsWebhookMetricsModule.forRoot()` options that cannot work; the message names each one and the fix. */
export class InvalidMetricsOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`OpenSmsWebhookMetricsModule options are invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidMetricsOptionsError';
  }
}
