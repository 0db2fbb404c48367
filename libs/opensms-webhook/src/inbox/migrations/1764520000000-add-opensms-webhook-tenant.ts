import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Adds the tenant that verified each call (`secretResolver` returning `{ tenant, secrets }`) and the
 * delivery key that keeps a signed but invalid call once however often it is delivered again.
 */
export class AddOpenSmsWebhookTenant1764520000000 implements MigrationInterface {
  name = 'AddOpenSmsWebhookTenant1764520000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(`ALTER TABLE ${events} ADD COLUMN "tenant" text, ADD COLUMN "delivery_key" text`);
    await queryRunner.query(`CREATE UNIQUE INDEX "opensms_webhook_events_delivery_key_uq" ON ${events} ("delivery_key")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(`DROP INDEX ${qualifiedTableName(queryRunner.connection, 'opensms_webhook_events_delivery_key_uq')}`);
    await queryRunner.query(`ALTER TABLE ${events} DROP COLUMN "delivery_key", DROP COLUMN "tenant"`);
  }
}
