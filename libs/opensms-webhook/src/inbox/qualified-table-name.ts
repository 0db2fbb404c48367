import type { DataSource } from 'typeorm';

/**
 * A table's quoted name, qualified with the DataSource's `schema` option when one is set, so the
 * inbox SQL and its migration work in whichever schema the host configured.
 */
export function qualifiedTableName(dataSource: Pick<DataSource, 'options'>, table: string): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}
