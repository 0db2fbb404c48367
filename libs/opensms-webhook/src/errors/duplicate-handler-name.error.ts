/** Two `@OnSmsEvent()` handlers have the same `ClassName.methodName`, under which completion is recorded. */
export class DuplicateHandlerNameError extends Error {
  constructor(handler: string) {
    super(
      `Two @OnSmsEvent() handlers are named ${handler}: handler names record completion, so they must be ` +
        'unique. Rename one of the classes or methods.',
    );
    this.name = 'DuplicateHandlerNameError';
  }
}
