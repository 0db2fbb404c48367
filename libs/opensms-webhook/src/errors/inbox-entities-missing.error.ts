/**
 * The TypeORM DataSource that holds the inbox does not know the library's entities: it neither sets
 * `autoLoadEntities: true` nor lists `OPENSMS_WEBHOOK_ENTITIES` in its `entities`.
 */
export class InboxEntitiesMissingError extends Error {
  /**
   * @param dataSource the name of that DataSource (`'default'` for the one registered without a name)
   * @param missing the class names of the entities it does not know
   */
  constructor(dataSource: string, missing: readonly string[]) {
    const registration =
      dataSource === 'default' ? 'TypeOrmModule.forRoot({ ... })' : `TypeOrmModule.forRoot({ name: '${dataSource}', ... })`;
    super(
      `OpenSmsWebhookModule keeps its inbox in the TypeORM DataSource "${dataSource}", which does not know the ` +
        `inbox entities ${missing.join(', ')}. In its ${registration}, set autoLoadEntities: true, or add ` +
        '...OPENSMS_WEBHOOK_ENTITIES (from @opensms/nestjs-webhooks) to its entities.',
    );
    this.name = 'InboxEntitiesMissingError';
  }
}
