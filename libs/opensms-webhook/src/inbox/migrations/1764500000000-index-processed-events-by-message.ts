import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Indexes processed events by message and time, so that the worker's "was a later event of this
 * message already processed?" check is a point lookup whatever the table's statistics say.
 */
export class IndexProcessedEventsByMessage1764500000000 implements MigrationInterface {
  name = 'IndexProcessedEventsByMessage1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    await queryRunner.query(
      `CREATE INDEX "opensms_webhook_events_processed_message_idx" ON ${events} ("message_id", "occurred_at")
        WHERE "state" = 'processed'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // NOTE: an index lives in its table's schema, so it is qualified like a table.
    await queryRunner.query(`DROP INDEX ${qualifiedTableName(queryRunner.connection, 'opensms_webhook_events_processed_message_idx')}`);
  }
}
