import { describeError } from '../opensms-webhook.messages';

/** One handler's failure on one attempt at an event. */
export interface SmsEventHandlerFailure {
  /** `ClassName.methodName` of the handler. */
  handler: string;
  error: unknown;
}

/**
 * Some handlers of an event failed on this attempt; the event is retried with back-off, or is
 * `dead` when `permanent` (attempts spent, or a handler threw BullMQ's `UnrecoverableError`).
 */
export class SmsEventDispatchError extends Error {
  constructor(
    readonly failures: readonly SmsEventHandlerFailure[],
    readonly permanent: boolean,
  ) {
    super(failures.map(({ handler, error }) => `${handler}: ${describeError(error)}`).join('; '));
    this.name = 'SmsEventDispatchError';
  }
}
