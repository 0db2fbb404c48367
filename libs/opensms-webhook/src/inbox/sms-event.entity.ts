import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { SmsEventState } from './sms-event-state';

/** One webhook call as received: the durable record every later step works from. */
@Entity({ name: 'opensms_webhook_events' })
@Index('opensms_webhook_events_unfinished_idx', ['state', 'updatedAt'])
@Index('opensms_webhook_events_message_idx', ['messageId', 'occurredAt'])
@Index('opensms_webhook_events_received_idx', ['receivedAt', 'id'])
@Index('opensms_webhook_events_state_received_idx', ['state', 'receivedAt', 'id'])
@Index('opensms_webhook_events_event_received_idx', ['event', 'receivedAt', 'id'])
@Index('opensms_webhook_events_phone_received_idx', ['phone', 'receivedAt', 'id'])
export class SmsEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique for valid events; `null` for `invalid` rows, which are kept once per call. */
  @Index('opensms_webhook_events_dedupe_key_uq', { unique: true })
  @Column({ name: 'dedupe_key', type: 'text', nullable: true })
  dedupeKey: string | null;

  /** `sms.delivered`, `sms.failed`, `sms.pending`, or a type this version does not know. */
  @Column({ type: 'text' })
  event: string;

  @Column({ name: 'message_id', type: 'text', nullable: true })
  messageId: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  status: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** The payload's `timestamp`. */
  @Column({ name: 'occurred_at', type: 'timestamptz', nullable: true })
  occurredAt: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  /** The raw call: the parsed JSON body, or the body text when it was not JSON. */
  @Column({ type: 'jsonb' })
  payload: unknown;

  /** Selected request headers (never the signature). */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  headers: Record<string, string>;

  @Column({ type: 'text' })
  state: SmsEventState;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Last handler error, or the validation problems of an `invalid` row. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
