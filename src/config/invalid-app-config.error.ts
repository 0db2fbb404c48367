/** The environment cannot start the example app; the message lists every variable to fix. */
export class InvalidAppConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The example app cannot start, fix its environment:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidAppConfigError';
  }
}
