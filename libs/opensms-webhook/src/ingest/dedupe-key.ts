import { createHash } from 'node:crypto';
import type { DedupeKeyFunction } from '../opensms-webhook-options.interface';

/**
 * `(event, message_id, timestamp)`: OpenSMS payloads carry no event id, and a retried delivery
 * repeats all three. Hashed so that keys have a fixed size whatever the payload holds.
 */
export const defaultDedupeKey: DedupeKeyFunction = (payload) =>
  createHash('sha256')
    .update(JSON.stringify([payload.event, payload.message_id, payload.timestamp]))
    .digest('hex');

/**
 * The stored dedupe key: the configured key, within the tenant that verified the call, so that one
 * tenant can never shadow another's events. Without a tenant the key is stored as it is.
 */
export function tenantDedupeKey(tenant: string | null, key: string): string {
  return tenant === null ? key : JSON.stringify(['tenant', tenant, key]);
}

/**
 * Key of one delivery of a signed call that is kept as `invalid`: the tenant and the delivery id the
 * scheme signs (`webhook-id`, which OpenSMS repeats when it delivers again), or the body when it signs none.
 */
export function deliveryKeyOf(tenant: string | null, deliveryId: string | undefined, rawBody: Buffer): string {
  const delivery = deliveryId === undefined ? ['body', createHash('sha256').update(rawBody).digest('hex')] : ['webhook-id', deliveryId];
  return createHash('sha256')
    .update(JSON.stringify([tenant, ...delivery]))
    .digest('hex');
}
