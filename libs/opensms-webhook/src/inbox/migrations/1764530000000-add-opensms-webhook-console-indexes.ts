import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/**
 * Indexes of the console's inbox search (newest first, keyset-paged on `received_at`, `id`), alone
 * or after an exact state, event type or phone; and the attempt in which each handler committed.
 */
export class AddOpenSmsWebhookConsoleIndexes1764530000000 implements MigrationInterface {
  name = 'AddOpenSmsWebhookConsoleIndexes1764530000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    const runs = qualifiedTableName(queryRunner.connection, 'opensms_webhook_handler_runs');
    for (const [name, columns] of CONSOLE_INDEXES) {
      await queryRunner.query(`CREATE INDEX "${name}" ON ${events} (${columns})`);
    }
    await queryRunner.query(`ALTER TABLE ${runs} ADD COLUMN "attempt" integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema;
    await queryRunner.query(
      `ALTER TABLE ${qualifiedTableName(queryRunner.connection, 'opensms_webhook_handler_runs')} DROP COLUMN "attempt"`,
    );
    for (const [name] of CONSOLE_INDEXES) {
      await queryRunner.query(`DROP INDEX ${schema ? `"${schema}".` : ''}"${name}"`);
    }
  }
}

const CONSOLE_INDEXES: readonly (readonly [string, string])[] = [
  ['opensms_webhook_events_received_idx', '"received_at", "id"'],
  ['opensms_webhook_events_state_received_idx', '"state", "received_at", "id"'],
  ['opensms_webhook_events_event_received_idx', '"event", "received_at", "id"'],
  ['opensms_webhook_events_phone_received_idx', '"phone", "received_at", "id"'],
];
