import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Adds to each event's state row the reprocessing it is queued for (`reprocess`: the handlers to
 * run again, see `OpenSmsWebhookService.reprocess()`), and to the outbox whether an entry's job runs
 * behind live traffic (`background`). A nullable column and a constant default: adding them
 * rewrites nothing and holds the tables only for a moment.
 */
export class AddOpenSmsWebhookReprocess1764700000000 implements MigrationInterface {
  name = 'AddOpenSmsWebhookReprocess1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const states = qualifiedTableName(queryRunner.connection, 'opensms_webhook_event_states');
    const outbox = qualifiedTableName(queryRunner.connection, 'opensms_webhook_outbox');
    await queryRunner.query(`ALTER TABLE ${states} ADD COLUMN "reprocess" jsonb`);
    await queryRunner.query(`ALTER TABLE ${outbox} ADD COLUMN "background" boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const states = qualifiedTableName(queryRunner.connection, 'opensms_webhook_event_states');
    const outbox = qualifiedTableName(queryRunner.connection, 'opensms_webhook_outbox');
    await queryRunner.query(`ALTER TABLE ${outbox} DROP COLUMN "background"`);
    await queryRunner.query(`ALTER TABLE ${states} DROP COLUMN "reprocess"`);
  }
}
