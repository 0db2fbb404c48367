import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OPENSMS_DATA_SOURCE } from '../opensms-webhook.constants';
import { SmsEventOutboxEntity } from './sms-event-outbox.entity';
import { SmsEventStateEntity } from './sms-event-state.entity';
import { SmsEventEntity } from './sms-event.entity';

/**
 * The library's TypeORM entities, the three tables of the inbox. The module registers them for
 * `autoLoadEntities: true`; a DataSource that lists its entities instead adds these
 * (`entities: [...yourEntities, ...OPENSMS_WEBHOOK_ENTITIES]`).
 */
export const OPENSMS_WEBHOOK_ENTITIES = [SmsEventEntity, SmsEventStateEntity, SmsEventOutboxEntity];

/**
 * A table's quoted name, qualified with the DataSource's `schema` option when one is set, so the
 * inbox SQL and its migration work in whichever schema the host configured.
 */
export function qualifiedTableName(dataSource: Pick<DataSource, 'options'>, table: string): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}

/** The inbox's DataSource and its tables' qualified names, shared by the writer, lifecycle, outbox and queries. */
@Injectable()
export class SmsEventTables {
  /** The calls as received (`opensms_webhook_events`). */
  readonly events: string;
  /** Where each event stands (`opensms_webhook_event_states`). */
  readonly states: string;
  /** The events whose job is not queued yet (`opensms_webhook_outbox`). */
  readonly outbox: string;

  constructor(@Inject(OPENSMS_DATA_SOURCE) readonly dataSource: DataSource) {
    const name = (entity: (typeof OPENSMS_WEBHOOK_ENTITIES)[number]) =>
      qualifiedTableName(dataSource, dataSource.getMetadata(entity).tableName);
    this.events = name(SmsEventEntity);
    this.states = name(SmsEventStateEntity);
    this.outbox = name(SmsEventOutboxEntity);
  }
}
