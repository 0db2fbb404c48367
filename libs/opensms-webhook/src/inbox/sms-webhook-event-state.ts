/**
 * Life of an inbox row: `received` → `processing` → `processed` | `failed` (will retry) | `dead`
 * (attempts exhausted); `invalid` (signed but malformed) and `ignored` (no handler for its type) are final.
 */
export type SmsWebhookEventState = 'received' | 'processing' | 'processed' | 'failed' | 'dead' | 'invalid' | 'ignored';

export const SMS_WEBHOOK_EVENT_STATES: readonly SmsWebhookEventState[] = [
  'received',
  'processing',
  'processed',
  'failed',
  'dead',
  'invalid',
  'ignored',
];

/** States in which an event still has work ahead of it (and so must have a queued job). */
export const UNFINISHED_STATES: readonly SmsWebhookEventState[] = ['received', 'processing', 'failed'];
