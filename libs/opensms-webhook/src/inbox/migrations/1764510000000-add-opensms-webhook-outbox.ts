import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Turns the inbox into the relay's outbox: `job_pending` says whether an event still needs its job
 * put on the queue (`'add'`, or `'replace'` when an earlier job may exist), with a partial index
 * that holds only those rows. Unfinished rows already stored are handed to the relay once (their
 * job id is their inbox id, so a job that exists is not doubled).
 */
export class AddOpenSmsWebhookOutbox1764510000000 implements MigrationInterface {
  name = 'AddOpenSmsWebhookOutbox1764510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(`ALTER TABLE ${events} ADD COLUMN "job_pending" text CHECK ("job_pending" IN ('add','replace'))`);
    await queryRunner.query(`UPDATE ${events} SET "job_pending" = 'add' WHERE "state" IN ('received','processing','failed')`);
    await queryRunner.query(`ALTER TABLE ${events} ALTER COLUMN "job_pending" SET DEFAULT 'add'`);
    await queryRunner.query(
      `CREATE INDEX "opensms_webhook_events_job_pending_idx" ON ${events} ("received_at") WHERE "job_pending" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(`ALTER TABLE ${events} DROP COLUMN "job_pending"`);
  }
}
