/** Alerts are emitted through `@nestjs/event-emitter`, which the application does not register. */
export class EventEmitterMissingError extends Error {
  constructor() {
    super(
      'OpenSmsWebhookAlertsModule emits its alerts through @nestjs/event-emitter, which this application does not ' +
        'register. Install @nestjs/event-emitter and import EventEmitterModule.forRoot() in the application.',
    );
    this.name = 'EventEmitterMissingError';
  }
}
