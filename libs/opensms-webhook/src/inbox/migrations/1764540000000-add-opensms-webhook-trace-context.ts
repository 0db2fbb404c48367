import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Adds the W3C trace context of the call that stored each event (`traceparent`, `tracestate`), so
 * that its processing, retries and replays continue the call's trace. Nullable, no default: adding
 * it rewrites nothing and holds the table only for a moment.
 */
export class AddOpenSmsWebhookTraceContext1764540000000 implements MigrationInterface {
  name = 'AddOpenSmsWebhookTraceContext1764540000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(`ALTER TABLE ${events} ADD COLUMN "trace_context" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(`ALTER TABLE ${events} DROP COLUMN "trace_context"`);
  }
}
