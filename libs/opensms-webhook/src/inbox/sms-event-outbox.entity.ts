import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An event whose job the relay still has to put on the queue: inserted with the event by ingest
 * (and by a replay or the reconciler), deleted by the relay in the transaction that queued the job.
 * The table only ever holds the events not queued yet.
 */
@Entity({ name: 'opensms_webhook_outbox' })
export class SmsEventOutboxEntity {
  /** Insertion order: the relay queues the oldest first. */
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'opensms_webhook_outbox_pkey',
  })
  id: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  /** An earlier job of this event may still exist (replay, lost job): the relay removes it first. */
  @Column({ type: 'boolean', default: false })
  replace: boolean;

  /** The job waits behind live traffic (a reprocessing): queued at a lower priority. */
  @Column({ type: 'boolean', default: false })
  background: boolean;
}
