/** An `@OnSmsEvent()` handler lives in a request- or transient-scoped provider. */
export class RequestScopedHandlerError extends Error {
  constructor(handler: string) {
    super(
      `@OnSmsEvent() handler ${handler} is in a request-scoped or transient provider. Events are processed ` +
        'outside any HTTP request: make the provider a singleton (the default scope).',
    );
    this.name = 'RequestScopedHandlerError';
  }
}
