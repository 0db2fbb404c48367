/**
 * Names under which the alerts are emitted through `EventEmitter2`, for `@OnEvent(...)`:
 *
 * ```ts
 * @OnEvent(OPENSMS_ALERTS.eventDead)
 * onDead(alert: SmsEventDeadAlert) { this.logger.error(`inbox ${alert.eventId} is dead: ${printable(alert.lastError ?? '')}`); }
 * ```
 */
export const OPENSMS_ALERTS = {
  /** An event spent its last attempt: {@link SmsEventDeadAlert}. */
  eventDead: 'opensms.event.dead',
  /** More unauthorized calls than the threshold within the window: {@link SignatureFailuresAlert}. */
  signatureFailures: 'opensms.signature.failures',
  /** More events waiting than the threshold: {@link BacklogAlert}. */
  backlog: 'opensms.backlog',
  /** A client of the console was refused too often within a minute and is held off: {@link ConsoleAccessRefusedAlert}. */
  consoleAccessRefused: 'opensms.console.access-refused',
} as const;

/** The name of one alert. */
export type OpenSmsWebhookAlertName = (typeof OPENSMS_ALERTS)[keyof typeof OPENSMS_ALERTS];

/** An event became `dead`: its handlers failed on its last attempt (or threw `UnrecoverableError`). Replay it once fixed. */
export class SmsEventDeadAlert {
  readonly name = OPENSMS_ALERTS.eventDead;

  constructor(
    /** Inbox id, for `replay(id)` and the console. */
    readonly eventId: string,
    /** Event type, e.g. `sms.failed`. */
    readonly event: string,
    /** Attempts made. */
    readonly attempts: number,
    /** The last failure. */
    readonly lastError: string | null,
    /** The provider's `timestamp` of the event. */
    readonly occurredAt: Date | null,
  ) {}
}

/**
 * This process answered `unauthorized` (401) to at least `threshold` calls within `windowMs`: a
 * secret rotated on one side only, clocks apart, or someone probing the endpoint. Emitted once per window.
 */
export class SignatureFailuresAlert {
  readonly name = OPENSMS_ALERTS.signatureFailures;

  constructor(
    /** Unauthorized calls counted in this window so far. */
    readonly failures: number,
    readonly threshold: number,
    readonly windowMs: number,
    /** When the window began. */
    readonly since: Date,
  ) {}
}

/**
 * The backlog, the events with work ahead of them (`received`, `processing` or `failed`), is above
 * `threshold`: workers are down, paused, or too slow.
 */
export class BacklogAlert {
  readonly name = OPENSMS_ALERTS.backlog;

  constructor(
    /** Unfinished events (`received`, `processing` or `failed`). */
    readonly backlog: number,
    readonly threshold: number,
    /** When the oldest unfinished event was received. */
    readonly oldestReceivedAt: Date | null,
  ) {}
}

/**
 * A client of the console was refused (401 or 403 by its access check) `failures` times within
 * `windowMs`, and is answered 429 until that window has passed: someone guessing the console's
 * credentials, or an operator's script with an old token. Emitted once per client and window.
 */
export class ConsoleAccessRefusedAlert {
  readonly name = OPENSMS_ALERTS.consoleAccessRefused;

  constructor(
    /** The client's address (`request.ip`; an IPv6 address by its /64 network), control characters escaped. */
    readonly client: string,
    /** Refused requests of the client in this window. */
    readonly failures: number,
    readonly windowMs: number,
    /** When the window began. */
    readonly since: Date,
  ) {}
}
