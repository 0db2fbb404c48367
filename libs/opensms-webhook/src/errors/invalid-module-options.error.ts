/** `forRoot()` / `forRootAsync()` options that cannot work; the message names each one and the fix. */
export class InvalidModuleOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`OpenSmsWebhookModule options are invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidModuleOptionsError';
  }
}
