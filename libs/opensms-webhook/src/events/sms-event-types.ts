/** Event types this version knows, as sent in the payload's `event` field. */
export const KNOWN_SMS_EVENTS = {
  'sms.delivered': 'delivered',
  'sms.failed': 'failed',
  'sms.pending': 'pending',
} as const;

/** Payload `event` values this version knows. */
export type KnownSmsEventName = keyof typeof KNOWN_SMS_EVENTS;

/** Short name of a known event type: what `@OnSmsEvent()` takes. */
export type SmsEventType = (typeof KNOWN_SMS_EVENTS)[KnownSmsEventName];

/** Values of a known event's `status` field. */
export const SMS_STATUSES: readonly SmsEventType[] = Object.values(KNOWN_SMS_EVENTS);

export function isKnownSmsEvent(event: unknown): event is KnownSmsEventName {
  return typeof event === 'string' && Object.prototype.hasOwnProperty.call(KNOWN_SMS_EVENTS, event);
}
