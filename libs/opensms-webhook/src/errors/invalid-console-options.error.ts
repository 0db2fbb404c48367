/** `OpenSmsWebhookConsoleModule.register()` options that cannot work; the message names each one and the fix. */
export class InvalidConsoleOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`OpenSmsWebhookConsoleModule options are invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidConsoleOptionsError';
  }
}
