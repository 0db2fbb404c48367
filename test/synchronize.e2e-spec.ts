import { randomUUID } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import {
  OPENSMS_WEBHOOK_MIGRATIONS,
  OpenSmsWebhookService,
  SmsEventEntity,
  SmsEventOutboxEntity,
  SmsEventStateEntity,
} from '@opensms/nestjs-webhooks';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { type InboxDefinition, SchemaInspector } from './support/schema-inspector';
import { useTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, TEST_DATABASE_URL, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

/**
 * TypeORM's `synchronize: true` on the inbox's DataSource. TypeORM runs the migrations first, then
 * makes the tables match the entities: the entities declare every column, default, constraint and
 * index the migrations create, so that it finds nothing to change and the inbox stays as migrated.
 */

const INBOX_ENTITIES = [SmsEventEntity, SmsEventStateEntity, SmsEventOutboxEntity];

/** Initializes a DataSource on `schema` (its tables unqualified in plain SQL too); destroy it. */
function openDataSource(schema: string, options: Partial<DataSourceOptions>): Promise<DataSource> {
  return new DataSource({
    type: 'postgres',
    url: TEST_DATABASE_URL,
    schema,
    extra: { max: 2, options: `-c search_path="${schema}"` },
    ...options,
  } as DataSourceOptions).initialize();
}

/** Creates `schema` and runs `migrations` in it, on a DataSource that knows no entity. */
async function migrate(schema: string, migrations: typeof OPENSMS_WEBHOOK_MIGRATIONS): Promise<void> {
  await createSchema(schema);
  const migrator = await openDataSource(schema, { migrations });
  try {
    await migrator.runMigrations();
  } finally {
    await migrator.destroy();
  }
}

async function inboxDefinitionOf(schema: string): Promise<InboxDefinition> {
  const inspector = await SchemaInspector.open(schema);
  try {
    return await inspector.inboxDefinition();
  } finally {
    await inspector.close();
  }
}

/** The SQL that TypeORM's schema builder would run to make the tables match the entities. */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  return (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((query) => query.query);
}

/** The inbox as the migrations alone build it, the reference for every other way of building it. */
const referenceSchema = uniqueName('sync_reference');
let migrated: InboxDefinition;

beforeAll(async () => {
  await migrate(referenceSchema, OPENSMS_WEBHOOK_MIGRATIONS);
  migrated = await inboxDefinitionOf(referenceSchema);
});

afterAll(async () => {
  await dropSchema(referenceSchema);
});

describe('a host with synchronize: true next to migrationsRun', () => {
  const scope = useTestApp('synchronize', { synchronize: true });
  let inspector: SchemaInspector;
  let tables: DataSource;

  beforeAll(async () => {
    inspector = await SchemaInspector.open(scope.schema);
    tables = await openDataSource(scope.schema, {});
  });

  afterAll(async () => {
    await inspector?.close();
    await tables?.destroy();
  });

  it('boots, and TypeORM finds nothing left to change in the inbox', async () => {
    expect(await pendingSchemaChanges(scope.app.get<DataSource>(getDataSourceToken()))).toEqual([]);
  });

  it('keeps the inbox exactly as the migrations built it: columns, defaults, constraints, indexes', async () => {
    expect(await inspector.inboxDefinition()).toEqual(migrated);
  });

  it('refuses a state outside SMS_EVENT_STATES', async () => {
    await expect(
      tables.query(`INSERT INTO "opensms_webhook_event_states" ("event_id", "state", "received_at") VALUES ($1, 'bogus', now())`, [
        randomUUID(),
      ]),
    ).rejects.toThrow(/opensms_webhook_event_states_state_check/);
  });

  it('receives and finishes an event, and retention removes its rows together', async () => {
    const response = await postSigned(scope.endpoint, smsPayload({ message_id: 'msg_synchronized' }));
    expect(response.status).toBe(200);
    const service = scope.app.get(OpenSmsWebhookService);
    await waitFor('the event to be ignored (no handlers)', async () => (await service.findById(response.body.id))?.state === 'ignored');

    expect(await service.prune(0)).toBe(1);
    expect(await inspector.countEvents()).toBe(0);
    expect(await inspector.states()).toEqual({});
  });
});

describe('an inbox of the version before the last migration, on a DataSource with synchronize: true', () => {
  const schema = uniqueName('sync_upgrade');
  let dataSource: DataSource;

  beforeAll(async () => {
    await migrate(schema, OPENSMS_WEBHOOK_MIGRATIONS.slice(0, -1));
    dataSource = await openDataSource(schema, {
      entities: INBOX_ENTITIES,
      migrations: OPENSMS_WEBHOOK_MIGRATIONS,
      migrationsRun: true,
      synchronize: true,
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropSchema(schema);
  });

  it('is migrated, then left alone by synchronize', async () => {
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    expect(await inboxDefinitionOf(schema)).toEqual(migrated);
  });
});

describe('synchronize: true without the migrations', () => {
  const schema = uniqueName('sync_only');
  let dataSource: DataSource;

  beforeAll(async () => {
    await createSchema(schema);
    // NOTE: the uuid default of the id comes from this option (TypeORM's own default is uuid-ossp's uuid_generate_v4()).
    dataSource = await openDataSource(schema, {
      entities: INBOX_ENTITIES,
      synchronize: true,
      uuidExtension: 'pgcrypto',
      installExtensions: false,
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropSchema(schema);
  });

  it('builds the inbox the migrations build, and finds nothing to change afterwards', async () => {
    expect(await inboxDefinitionOf(schema)).toEqual(migrated);
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });
});
