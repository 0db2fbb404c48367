import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Delivery state of one outbound SMS, as the latest applied OpenSMS event left it. */
@Entity({ name: 'sms_messages' })
export class SmsMessageEntity {
  /** OpenSMS `message_id`. */
  @PrimaryColumn({ name: 'message_id', type: 'text' })
  messageId: string;

  @Column({ type: 'text' })
  phone: string;

  /** `pending`, `delivered` or `failed`. */
  @Column({ type: 'text' })
  status: string;

  /** Why the message failed; `null` unless `status` is `failed`. */
  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** When OpenSMS says the current status was reached (the applied event's `timestamp`). */
  @Column({ name: 'status_at', type: 'timestamptz' })
  statusAt: Date;

  /** When this row last changed. */
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
