import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OPENSMS_DATA_SOURCE } from '../opensms-webhook.constants';
import { SmsEventHandlerRunEntity } from './sms-event-handler-run.entity';
import { SmsEventEntity } from './sms-event.entity';

/**
 * A table's quoted name, qualified with the DataSource's `schema` option when one is set, so the
 * inbox SQL and its migration work in whichever schema the host configured.
 */
export function qualifiedTableName(dataSource: Pick<DataSource, 'options'>, table: string): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}

/** The inbox's DataSource and its two tables' qualified names, shared by the writer, lifecycle and queries. */
@Injectable()
export class SmsEventTables {
  /** The inbox table (`opensms_webhook_events`). */
  readonly events: string;
  /** The per-handler completion table (`opensms_webhook_handler_runs`). */
  readonly handlerRuns: string;

  constructor(@Inject(OPENSMS_DATA_SOURCE) readonly dataSource: DataSource) {
    this.events = qualifiedTableName(dataSource, dataSource.getMetadata(SmsEventEntity).tableName);
    this.handlerRuns = qualifiedTableName(dataSource, dataSource.getMetadata(SmsEventHandlerRunEntity).tableName);
  }
}
