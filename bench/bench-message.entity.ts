import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The host's own table of sent messages, updated by the benchmark's handler. */
@Entity('bench_sms_messages')
export class BenchMessage {
  @PrimaryColumn({ name: 'message_id', type: 'text' })
  messageId: string;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'status_at', type: 'timestamptz', nullable: true })
  statusAt: Date | null;
}

/** DDL of {@link BenchMessage}, run by the orchestrator in the benchmark's schema. */
export function benchMessageTableSql(schema: string): string {
  return `CREATE TABLE "${schema}"."bench_sms_messages" (
    "message_id" text PRIMARY KEY,
    "status" text NOT NULL,
    "error" text,
    "status_at" timestamptz
  )`;
}
