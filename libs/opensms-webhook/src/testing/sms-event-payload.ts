import type { SmsEventPayload } from './dispatch-to-handlers';

/**
 * A payload as OpenSMS sends it (the Webhooks Guide's example), with `fields` overriding the
 * defaults: an `sms.delivered` of `msg_123456`, with the matching `status` (and an `error` for
 * `sms.failed`) when only `event` is given.
 *
 * ```ts
 * smsEventPayload({ event: 'sms.failed', message_id: 'msg_42' })
 * ```
 */
export function smsEventPayload(fields: Readonly<Record<string, unknown>> = {}): SmsEventPayload {
  const event = typeof fields.event === 'string' ? fields.event : 'sms.delivered';
  return {
    event,
    message_id: 'msg_123456',
    phone: '+254712345678',
    status: event.startsWith('sms.') ? event.slice('sms.'.length) : 'delivered',
    ...(event === 'sms.failed' ? { error: 'Invalid phone number' } : {}),
    timestamp: '2024-01-13T12:00:00Z',
    ...fields,
  };
}
