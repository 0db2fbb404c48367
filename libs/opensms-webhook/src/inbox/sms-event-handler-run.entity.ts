import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Marks that one handler committed its work for one event. Written in the handler's own
 * transaction, so a retry re-runs only the handlers without a mark.
 */
@Entity({ name: 'opensms_webhook_handler_runs' })
export class SmsEventHandlerRunEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId: string;

  /** `ClassName.methodName` of the handler. */
  @PrimaryColumn({ type: 'text' })
  handler: string;

  @Column({ name: 'completed_at', type: 'timestamptz', default: () => 'now()' })
  completedAt: Date;

  /** The attempt (1 first) in which the handler committed; `null` on rows older than this column. */
  @Column({ type: 'integer', nullable: true })
  attempt: number | null;
}
