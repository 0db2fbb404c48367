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
