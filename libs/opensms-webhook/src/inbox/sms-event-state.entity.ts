import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { SMS_EVENT_STATES, type SmsEventState } from './sms-event-state';

/**
 * The completed runs of an event's handlers as stored (`completed_handlers`), one per handler:
 * `{ [handler]: { attempt, at } }`; read as `SmsEventHandlerRun`s by the console.
 */
export type SmsEventHandlerRuns = Record<string, { attempt: number; at: string }>;

/**
 * A reprocessing an event is queued for, as stored (`reprocess`): the handlers to run again
 * (`null`: every handler), until the event is `processed` or `ignored` again.
 */
export interface SmsEventReprocessMark {
  handlers: string[] | null;
}

/**
 * The condition of the state index: every state but `processed`. A query reads that index only
 * when its own condition implies this one, so queries over a state given as a value state it too.
 */
export const INDEXED_STATES_CONDITION = `"state" <> 'processed'`;

/**
 * Where one inbox event stands (see {@link SMS_EVENT_STATES}): the only inbox row a state change
 * writes. Narrow on purpose, and indexed only where the worker and the operators look: by state,
 * for every state but `processed` (the one most rows end in, found through the events' own
 * indexes instead), so that finishing an event adds one entry to the primary key and none elsewhere.
 */
@Entity({ name: 'opensms_webhook_event_states' })
@Check('opensms_webhook_event_states_state_check', `"state" IN (${SMS_EVENT_STATES.map((state) => `'${state}'`).join(', ')})`)
@Index('opensms_webhook_event_states_open_idx', ['state', 'receivedAt', 'eventId'], { where: INDEXED_STATES_CONDITION })
export class SmsEventStateEntity {
  /** The {@link SmsEventEntity.id} of the event. */
  @PrimaryColumn({ name: 'event_id', type: 'uuid', primaryKeyConstraintName: 'opensms_webhook_event_states_pkey' })
  eventId: string;

  @Column({ type: 'text' })
  state: SmsEventState;

  /** Attempts made so far (0 until the first one ends). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** The event's `received_at`, kept here too so that each state's events can be read oldest or newest first. */
  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  /** Last handler error, or the validation problems of an `invalid` event. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /**
   * The handlers whose run committed for this event, with its attempt and time: a retry or replay
   * runs only the others. Written in the transaction of the handlers' own work.
   */
  @Column({ name: 'completed_handlers', type: 'jsonb', default: {} })
  completedHandlers: SmsEventHandlerRuns;

  /** The reprocessing the event is queued for, if any: its next attempts run only the handlers it names. */
  @Column({ type: 'jsonb', nullable: true })
  reprocess: SmsEventReprocessMark | null;
}
