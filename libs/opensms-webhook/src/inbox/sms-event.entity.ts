import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One webhook call as received: the durable record every later step works from. Written once by
 * ingest and never updated; where the event stands is kept apart, in {@link SmsEventStateEntity},
 * so that a state change rewrites a narrow row instead of the payload and every index of this table.
 *
 * The inbox entities declare all that the migrations create, constraint and index names included,
 * so that TypeORM's `synchronize` finds nothing to change after them.
 */
@Entity({ name: 'opensms_webhook_events' })
@Index('opensms_webhook_events_message_idx', ['messageId', 'occurredAt'])
@Index('opensms_webhook_events_delivery_key_uq', ['deliveryKey'], { unique: true })
@Index('opensms_webhook_events_received_idx', ['receivedAt', 'id'])
@Index('opensms_webhook_events_event_received_idx', ['event', 'receivedAt', 'id'])
@Index('opensms_webhook_events_phone_received_idx', ['phone', 'receivedAt', 'id'])
export class SmsEventEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'opensms_webhook_events_pkey' })
  id: string;

  /** Unique for valid events (it includes the tenant, if any); `null` for `invalid` rows. */
  @Index('opensms_webhook_events_dedupe_key_uq', { unique: true })
  @Column({ name: 'dedupe_key', type: 'text', nullable: true })
  dedupeKey: string | null;

  /**
   * Unique for `invalid` rows, so that a signed but invalid call is kept once however often it is
   * delivered again: a hash of the tenant and the signed `webhook-id` (Standard Webhooks), or of
   * the body (other schemes). `null` for valid events.
   */
  @Column({ name: 'delivery_key', type: 'text', nullable: true })
  deliveryKey: string | null;

  /** The tenant whose secret verified the call (`secretResolver` returning `{ tenant, secrets }`), else `null`. */
  @Column({ type: 'text', nullable: true })
  tenant: string | null;

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
  // NOTE: a value, not SQL: TypeORM compares a jsonb value with the table's default as JSON, but SQL as text, which never matches.
  @Column({ type: 'jsonb', default: {} })
  headers: Record<string, string>;

  /**
   * The W3C trace context (`traceparent`, `tracestate`) of the call that stored this event, so that
   * its processing continues the call's trace (see `tracing`); `null` when the call was not traced.
   */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true })
  traceContext: Record<string, string> | null;
}
