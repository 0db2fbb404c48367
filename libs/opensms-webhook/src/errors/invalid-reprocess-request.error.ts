/** A reprocessing that cannot run as asked (an unknown handler, a state that cannot be reprocessed, a bad rate); nothing was changed. */
export class InvalidReprocessRequestError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Reprocessing refused, nothing changed:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    this.name = 'InvalidReprocessRequestError';
  }
}
