import type { OpenSmsWebhookWorkerOptions } from '@opensms/nestjs-webhooks';
import type { ChildHostConfig } from '../fixtures/child-host.app';
import { type ChildApp, startChildApp, stopAll } from './child-app';
import { SchemaInspector } from './schema-inspector';
import { clearQueuePrefix } from './test-app';
import { createSchema, dropSchema, TEST_REDIS, uniqueName } from './test-database';

/** A schema, a queue prefix and the child host apps of one `describe` block. */
export interface FaultScope {
  readonly schema: string;
  readonly inspector: SchemaInspector;
  /** Starts a child host app on this scope's schema and prefix (on the shared Redis unless `redisPort` is given). */
  start(config?: Partial<ChildHostConfig>): Promise<ChildApp>;
}

/** A {@link FaultScope} outside Jest's hooks: `open` it first, `close` it at the end. */
export interface ManagedFaultScope extends FaultScope {
  /** Creates the schema and opens the inspector. */
  open(): Promise<void>;
  /** Kills every app, those still starting included, then removes the schema and the queue's keys. */
  close(): Promise<void>;
}

/**
 * Declares `beforeAll`/`afterAll` for a fault test: a fresh schema and queue prefix, an inspector,
 * and every child app started through `start` killed at the end. Start the first app of a scope
 * alone: it runs the migrations.
 */
export function useFaultScope(label: string, defaults: Partial<ChildHostConfig> = {}): FaultScope {
  const scope = createFaultScope(label, defaults);
  beforeAll(() => scope.open());
  afterAll(() => scope.close());
  return scope;
}

/** The scope of {@link useFaultScope}, for a script that opens and closes it itself. */
export function createFaultScope(label: string, defaults: Partial<ChildHostConfig> = {}): ManagedFaultScope {
  const schema = uniqueName(label);
  const apps: ChildApp[] = [];
  const starting = new Set<Promise<ChildApp>>();
  const closing = new AbortController();
  let inspector: SchemaInspector | undefined;

  return {
    schema,
    get inspector() {
      if (!inspector) throw new Error('The fault scope is not open yet (use it inside a test)');
      return inspector;
    },
    async open() {
      await createSchema(schema);
      inspector = await SchemaInspector.open(schema);
    },
    async close() {
      closing.abort();
      await Promise.allSettled(starting);
      await stopAll(apps);
      await inspector?.close();
      await clearQueuePrefix(schema);
      await dropSchema(schema);
    },
    async start(config = {}) {
      const started = startChildApp(
        {
          schema,
          queuePrefix: schema,
          mode: 'all',
          redisPort: TEST_REDIS.port,
          ...defaults,
          ...config,
          options: { ...defaults.options, ...config.options },
          extras: { ...defaults.extras, ...config.extras },
        },
        closing.signal,
      ).then((app) => {
        apps.push(app);
        return app;
      });
      starting.add(started);
      try {
        return await started;
      } finally {
        starting.delete(started);
      }
    },
  };
}

/** Worker options: short claims and stall checks, so that a dead worker's events are taken over within seconds. */
export const FAST_TAKEOVER: OpenSmsWebhookWorkerOptions = { lockDuration: 2000, stalledInterval: 1000 };

/** Worker options: a reconciler that looks every second for stored events older than 2 s without a job. */
export const FAST_RECONCILER: OpenSmsWebhookWorkerOptions = { reconcileIntervalMs: 1000, reconcileAfterMs: 2000 };

/** Pauses a test. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
