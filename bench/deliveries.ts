import { signWebhook, type SignedWebhook } from '@opensms/nestjs-webhooks/testing';
import { BENCH } from './bench.config';

const FAILURE_REASONS = ['Invalid phone number', 'Carrier rejected the message', 'Handset unreachable'];

/** How many deliveries each message gets: 2, a `pending` then a final status; or 1, the final status only. */
export type EventsPerMessage = 1 | 2;

/**
 * Signs `count` distinct deliveries as OpenSMS sends them, numbered from `first`. By default each
 * message gets an `sms.pending`, then `sms.delivered` (one in ten `sms.failed`), a few seconds
 * apart; with `eventsPerMessage` 1, each delivery is the final status of a message of its own.
 */
export function presignDeliveries(tag: string, first: number, count: number, eventsPerMessage: EventsPerMessage = 2): SignedWebhook[] {
  const sentAt = Date.parse('2024-01-13T12:00:00Z');
  const deliveries: SignedWebhook[] = [];
  for (let index = first; index < first + count; index++) {
    const message = Math.floor(index / eventsPerMessage);
    const final = eventsPerMessage === 1 || index % 2 === 1;
    const failed = final && message % 10 === 0;
    const event = !final ? 'sms.pending' : failed ? 'sms.failed' : 'sms.delivered';
    const payload = {
      event,
      message_id: `msg_${tag}_${message}`,
      phone: `+2547${String(10_000_000 + (message % 89_999_999)).padStart(8, '0')}`,
      status: event.slice(4),
      ...(failed ? { error: FAILURE_REASONS[message % FAILURE_REASONS.length] } : {}),
      timestamp: new Date(sentAt + message * 1000 + (final ? 4000 : 0)).toISOString(),
    };
    deliveries.push(signWebhook(payload, BENCH.secret));
  }
  return deliveries;
}
