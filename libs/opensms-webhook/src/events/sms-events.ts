import type { EntityManager } from 'typeorm';
import { KNOWN_SMS_EVENTS, type SmsEventType } from './sms-event-types';

/** Fields every SMS event has. */
abstract class SmsEventBase<Type extends string> {
  /** Short type: `'delivered'`, `'failed'`, `'pending'`. */
  abstract readonly type: Type;

  constructor(
    /** OpenSMS message id (`message_id`). */
    readonly messageId: string,
    /** Recipient, E.164. */
    readonly phone: string,
    /** Delivery status as reported. */
    readonly status: string,
    /** When OpenSMS says the status changed (`timestamp`). */
    readonly occurredAt: Date,
    /** The payload as received. */
    readonly raw: Readonly<Record<string, unknown>>,
  ) {}
}

/** `sms.delivered`: the handset got the message. */
export class SmsDeliveredEvent extends SmsEventBase<'delivered'> {
  readonly type = 'delivered' as const;
}

/** `sms.pending`: the message is on its way. */
export class SmsPendingEvent extends SmsEventBase<'pending'> {
  readonly type = 'pending' as const;
}

/** `sms.failed`: the message could not be delivered; `error` says why. */
export class SmsFailedEvent extends SmsEventBase<'failed'> {
  readonly type = 'failed' as const;

  constructor(
    messageId: string,
    phone: string,
    status: string,
    occurredAt: Date,
    raw: Readonly<Record<string, unknown>>,
    /** Why it failed, as OpenSMS reports it (empty when OpenSMS gave no reason). */
    readonly error: string,
  ) {
    super(messageId, phone, status, occurredAt, raw);
  }
}

/** An event type this version does not know (a future OpenSMS event); only `'*'` handlers get it. */
export class UnknownSmsEvent {
  readonly type = 'unknown' as const;

  constructor(
    /** The payload's `event`, e.g. `whatsapp.read`. */
    readonly name: string,
    readonly messageId: string | null,
    readonly occurredAt: Date | null,
    readonly raw: Readonly<Record<string, unknown>>,
  ) {}
}

/** Any known SMS event. */
export type SmsEvent = SmsDeliveredEvent | SmsFailedEvent | SmsPendingEvent;

/** What `@OnSmsEvent()` accepts: a known type, or `'*'` for every event. */
export type SmsEventSelector = SmsEventType | '*';

/** The event a handler of each selector receives. */
export interface SmsEventMap {
  delivered: SmsDeliveredEvent;
  failed: SmsFailedEvent;
  pending: SmsPendingEvent;
  '*': SmsEvent | UnknownSmsEvent;
}

/** Second argument of every handler. */
export interface SmsEventContext {
  /**
   * Entity manager inside the transaction that also records this handler's completion: write
   * through it and your writes happen exactly once, however often the event is retried.
   */
  manager: EntityManager;
  /** Inbox row id of the event. */
  eventId: string;
  /** 1 on the first attempt. */
  attempt: number;
  /**
   * `true` when an event with a later timestamp for the same message was already processed, or a
   * final one (`delivered`, `failed`) with the same timestamp overtakes this `pending`: record it,
   * but do not let it overwrite newer state.
   */
  stale: boolean;
  /** When the webhook call was received. */
  receivedAt: Date;
  /**
   * The tenant whose secret verified the call (`tenants.secretResolver` returning `{ tenant, secrets }`),
   * else `null`.
   */
  tenant: string | null;
  /**
   * `true` when this run was asked for by `OpenSmsWebhookService.reprocess()` (or the command line's or
   * the console's reprocess): the handler ran for this event before, or is run for it after being
   * deployed later (a backfill). Its earlier writes are still there: make the new ones replace them.
   */
  reprocessed: boolean;
}

/** The stored fields an event is built from. */
export interface SmsEventSource {
  event: string;
  messageId: string | null;
  phone: string | null;
  status: string | null;
  error: string | null;
  occurredAt: Date | null;
  payload: unknown;
}

/** The OpenSMS payload fields an event is built from (snake_case, as sent). */
export interface OpenSmsPayloadFields {
  event: string;
  message_id?: string;
  phone?: string;
  status?: string;
  error?: string;
  timestamp?: string;
}

/** The stored form of a payload's fields; `payload` is kept whole as the event's `raw`. */
export function eventSourceOf(fields: OpenSmsPayloadFields, payload: unknown): SmsEventSource {
  return {
    event: fields.event,
    messageId: fields.message_id ?? null,
    phone: fields.phone ?? null,
    status: fields.status ?? null,
    error: fields.error ?? null,
    occurredAt: fields.timestamp ? new Date(fields.timestamp) : null,
    payload,
  };
}

/** Builds the typed event of a stored row. */
export function toSmsEvent(source: SmsEventSource): SmsEvent | UnknownSmsEvent {
  const raw = (typeof source.payload === 'object' && source.payload !== null ? source.payload : {}) as Record<string, unknown>;
  const type = KNOWN_SMS_EVENTS[source.event as keyof typeof KNOWN_SMS_EVENTS] as SmsEventType | undefined;
  if (type === undefined) return new UnknownSmsEvent(source.event, source.messageId, source.occurredAt, raw);
  const fields = [source.messageId ?? '', source.phone ?? '', source.status ?? type, source.occurredAt ?? new Date(0), raw] as const;
  switch (type) {
    case 'delivered':
      return new SmsDeliveredEvent(...fields);
    case 'pending':
      return new SmsPendingEvent(...fields);
    case 'failed':
      return new SmsFailedEvent(...fields, source.error ?? '');
    default:
      return assertNever(type);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled SMS event type: ${String(value)}`);
}
