import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One OpenSMS event of a message, kept whether it changed the message (`applied`) or arrived too late. */
@Entity({ name: 'sms_message_events' })
@Index('sms_message_events_message_idx', ['messageId', 'occurredAt'])
export class SmsMessageEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  /** Inbox row of the webhook call: unique, so an event is recorded once. */
  @Index('sms_message_events_inbox_event_uq', { unique: true })
  @Column({ name: 'inbox_event_id', type: 'uuid' })
  inboxEventId: string;

  @Column({ name: 'message_id', type: 'text' })
  messageId: string;

  /** OpenSMS event name, e.g. `sms.delivered`. */
  @Column({ type: 'text' })
  event: string;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** The event's `timestamp`. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** `false` when a newer status was already applied: recorded for history, not applied. */
  @Column({ type: 'boolean' })
  applied: boolean;
}
