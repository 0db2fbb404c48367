import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTableName } from '../sms-event.tables';

/** Creates the inbox (`opensms_webhook_events`) and the handler-completion table. */
export class CreateOpenSmsWebhookInbox1764316800000 implements MigrationInterface {
  name = 'CreateOpenSmsWebhookInbox1764316800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = qualifiedTableName(queryRunner.connection, 'opensms_webhook_events');
    const runs = qualifiedTableName(queryRunner.connection, 'opensms_webhook_handler_runs');
    await queryRunner.query(`
      CREATE TABLE ${events} (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "dedupe_key" text,
        "event" text NOT NULL,
        "message_id" text,
        "phone" text,
        "status" text,
        "error" text,
        "occurred_at" timestamptz,
        "received_at" timestamptz NOT NULL DEFAULT now(),
        "payload" jsonb NOT NULL,
        "headers" jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- NOTE: a migration is history: this list stays as written; a new state comes with a migration of its own.
        "state" text NOT NULL CHECK ("state" IN ('received','processing','processed','failed','dead','invalid','ignored')),
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "processed_at" timestamptz,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "opensms_webhook_events_dedupe_key_uq" ON ${events} ("dedupe_key")`);
    await queryRunner.query(`CREATE INDEX "opensms_webhook_events_unfinished_idx" ON ${events} ("state", "updated_at")`);
    await queryRunner.query(`CREATE INDEX "opensms_webhook_events_message_idx" ON ${events} ("message_id", "occurred_at")`);
    await queryRunner.query(`
      CREATE TABLE ${runs} (
        "event_id" uuid NOT NULL REFERENCES ${events} ("id") ON DELETE CASCADE,
        "handler" text NOT NULL,
        "completed_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("event_id", "handler")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${qualifiedTableName(queryRunner.connection, 'opensms_webhook_handler_runs')}`);
    await queryRunner.query(`DROP TABLE ${qualifiedTableName(queryRunner.connection, 'opensms_webhook_events')}`);
  }
}
