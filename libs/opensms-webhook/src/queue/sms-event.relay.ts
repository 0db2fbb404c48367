import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { cutConnection } from '../inbox/connection-cut';
import { SmsEventOutbox } from '../inbox/sms-event.outbox';
import { OPENSMS_DATA_SOURCE, OPENSMS_RESOLVED_OPTIONS, SHUTDOWN_CLOSE_TIMEOUT_MS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import { closeWithin } from '../internal/bounded-close';
import { FailureBurst } from '../internal/failure-burst';
import { withTimeout } from '../internal/with-timeout';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsEventProducer } from './sms-event.producer';

/** How often the relay looks for stored events not yet queued, without a notification. */
const RELAY_INTERVAL_MS = 1000;
/** Most stored events the relay moves into the queue at once (one `addBulk`). */
const RELAY_BATCH_SIZE = 200;
/**
 * How long the relay's `LISTEN` connection may take to hear the `NOTIFY` it sent through the
 * DataSource before the relay concludes that notifications do not reach it (a pooler in transaction mode).
 */
const LISTEN_PROBE_TIMEOUT_MS = 5000;

/** The few members of a node-postgres client the relay's `LISTEN` connection uses. */
interface ListenClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: () => void): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
}

/** TypeORM's PostgreSQL driver, as far as the relay needs it: its node-postgres pool. */
interface PoolOfDriver {
  master?: { options: object; Client: new (options: object) => ListenClient };
}

/**
 * Moves stored events into the queue: claims outbox entries with `FOR UPDATE SKIP LOCKED` (so the
 * relays of several workers share them), adds their jobs with one `addBulk`, and deletes the
 * entries in the same transaction. Woken at once by ingest (`LISTEN` on a connection of its
 * own, or in-process), and every {@link RELAY_INTERVAL_MS} for anything a notification missed; a queue
 * that does not answer leaves the rows pending for the next round. The `LISTEN` connection goes to
 * `worker.listenUrl`, else where the DataSource connects; once listening, the relay sends itself a
 * `NOTIFY` through the DataSource, and when its connection does not hear it (a pooler in
 * transaction mode between them), it stops listening, warns, and relies on its rounds.
 */
@Injectable()
export class SmsEventRelay implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('OpenSmsWebhook');
  private readonly warning = new FailureBurst(this.logger);
  private timer?: NodeJS.Timeout;
  private listener?: ListenClient;
  private relisten?: NodeJS.Timeout;
  private wanted = false;
  private running?: Promise<void>;
  /** The connection of the round in progress, to cut if it does not end on shutdown. */
  private roundConnection?: unknown;
  private closed = false;
  private stopping?: Promise<void>;

  constructor(
    @Inject(OPENSMS_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly outbox: SmsEventOutbox,
    private readonly producer: SmsEventProducer,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {
    this.producer.onError((error) => this.warning.warn(messages.redisError(error)));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), RELAY_INTERVAL_MS);
    this.timer.unref();
    void this.listen();
    this.wake();
  }

  /** Starts stopping as soon as the application closes, side by side with the worker's grace period. */
  onModuleDestroy(): void {
    this.stopping ??= this.stop();
  }

  /** Waits for the relay to have stopped, before the host's data source closes. */
  beforeApplicationShutdown(): Promise<void> {
    return (this.stopping ??= this.stop());
  }

  /**
   * Stops relaying: the round in progress and the `LISTEN` connection get {@link SHUTDOWN_CLOSE_TIMEOUT_MS}
   * to end, then their connections are cut. A cut round rolls back; its outbox entries wait for the next relay.
   */
  private async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.relisten);
    const listener = this.listener;
    this.listener = undefined;
    await Promise.all([
      listener && this.closeWithin("the relay's LISTEN connection", listener.end(), () => cutConnection(listener)),
      this.running && this.closeWithin("the relay's round", this.running, () => cutConnection(this.roundConnection)),
    ]);
  }

  private async closeWithin(what: string, closing: Promise<unknown>, cut: () => void): Promise<void> {
    if (await closeWithin(closing, SHUTDOWN_CLOSE_TIMEOUT_MS, cut)) this.logger.warn(messages.closeCut(what, SHUTDOWN_CLOSE_TIMEOUT_MS));
  }

  /** Asks for a round now; rounds never overlap, and one asked for during a round follows it. */
  wake(): void {
    this.wanted = true;
    if (this.running || this.closed) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.wanted) this.wake();
    });
  }

  /** Relays batches while there is work; after a failure, waits for the timer. */
  private async drain(): Promise<void> {
    while (this.wanted && !this.closed) {
      this.wanted = false;
      try {
        const moved = await this.relayBatch();
        if (moved >= RELAY_BATCH_SIZE) this.wanted = true;
      } catch (error) {
        this.wanted = false;
        this.warning.warn(messages.relayFailed(error));
      }
    }
  }

  /** One batch in one transaction; resolves to how many events it queued. */
  private async relayBatch(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    this.roundConnection = await runner.connect();
    try {
      await runner.startTransaction();
      const claimed = await this.outbox.claimUnqueued(runner, RELAY_BATCH_SIZE);
      if (claimed.length > 0) {
        const queued = new Set(await this.producer.add(claimed));
        const done = claimed.filter((event) => queued.has(event.id));
        await this.outbox.markQueued(runner, done);
        await runner.commitTransaction();
        return done.length;
      }
      await runner.commitTransaction();
      return 0;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      this.roundConnection = undefined;
      await runner.release();
    }
  }

  /**
   * Opens the `LISTEN` connection and checks that it hears the DataSource's `NOTIFY`; on loss, opens
   * it again after {@link RELAY_INTERVAL_MS} (the timer covers the gap).
   */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const pool = (this.dataSource.driver as unknown as PoolOfDriver).master;
    if (!pool) return;
    const { listenUrl } = this.options.worker;
    const client = new pool.Client(listenUrl ? { ...pool.options, connectionString: listenUrl } : pool.options);
    let heard: () => void = () => undefined;
    const probeHeard = new Promise<void>((resolve) => (heard = resolve));
    const reopen = () => {
      heard();
      if (this.listener !== client) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      this.relisten = setTimeout(() => void this.listen(), RELAY_INTERVAL_MS);
      this.relisten.unref();
    };
    client.on('error', reopen);
    client.on('end', reopen);
    client.on('notification', () => {
      heard();
      this.wake();
    });
    this.listener = client;
    try {
      const channel = await this.outbox.channel();
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
      if (this.closed) return void (await client.end());
      // NOTE: rows stored before LISTEN took effect sent no notification this relay heard.
      this.wake();
      await this.outbox.notify(channel);
      const probed = await withTimeout(probeHeard, LISTEN_PROBE_TIMEOUT_MS, 'unheard').then(
        () => true,
        () => false,
      );
      if (!probed && this.listener === client && !this.closed) {
        this.listener = undefined;
        this.warning.warn(messages.relayListenUnheard(listenUrl !== undefined, LISTEN_PROBE_TIMEOUT_MS));
        await client.end().catch(() => undefined);
      }
    } catch (error) {
      this.warning.warn(messages.relayFailed(error));
      reopen();
    }
  }
}
