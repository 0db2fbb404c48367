import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { WebhookModuleMissingError } from '../errors/webhook-module-missing.error';
import { SharedInboxFigures } from '../inbox/inbox-figures';
import { backlogOf } from '../inbox/sms-event-state';
import { readableDuration } from '../internal/duration';
import { withTimeout } from '../internal/with-timeout';
import { OpenSmsWebhookCore } from '../opensms-webhook.core';
import { describeError } from '../opensms-webhook.messages';
import type { ReconcilerSwept } from '../telemetry/sms-webhook.telemetry';
import { errorKind, healthProblems, skippedReasons } from './opensms-webhook-health.messages';
import {
  type OpenSmsWebhookHealthThresholds,
  type ResolvedHealthThresholds,
  resolveHealthThresholds,
} from './opensms-webhook-health.thresholds';

/** How long the backlog's figures answer further checks: probes every second cost one count per second. */
const BACKLOG_REUSE_MS = 1000;

/** Where one part of the pipeline stands; `skipped` when this process does not run it. */
export type OpenSmsWebhookHealthPartStatus = 'up' | 'degraded' | 'down' | 'skipped';

/** One part of a report (`inbox`, `queue`, `backlog`, `reconciler`): its status and readable figures. */
export interface OpenSmsWebhookHealthPart {
  status: OpenSmsWebhookHealthPartStatus;
  [figure: string]: unknown;
}

interface CheckedPart {
  part: OpenSmsWebhookHealthPart;
  problems: string[];
}

/**
 * Health checks of the webhook pipeline for `@nestjs/terminus`, in the shape of its other
 * indicators (`{ [key]: { status, ... } }`). Add it to the providers of a module that imports
 * `TerminusModule` (the application registers `OpenSmsWebhookModule` anywhere), and call it from your health route:
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.opensms.isHealthy('opensms', { maxBacklog: 5000 })]);
 * }
 * ```
 * {@link isAlive} touches nothing (liveness); {@link isReady} answers whether this process can do its work now (its database and, where the
 * worker runs, its queue); {@link isHealthy} adds whether the work keeps up (backlog, dead
 * letters, reconciler). Neither belongs in a liveness probe: restarting the process does not
 * bring a database back.
 */
@Injectable()
export class OpenSmsWebhookHealthIndicator implements OnModuleInit, OnModuleDestroy {
  private readonly startedAt = Date.now();
  private lastSweep?: ReconcilerSwept;
  private stopObserving?: () => void;

  private core?: OpenSmsWebhookCore;
  private readonly reads = new Map<string, Promise<unknown>>();
  private figures?: SharedInboxFigures;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.core = OpenSmsWebhookCore.in(this.moduleRef, 'OpenSmsWebhookHealthIndicator');
    this.stopObserving = this.core.telemetry.observe({ reconcilerSwept: (sweep) => (this.lastSweep = sweep) });
  }

  onModuleDestroy(): void {
    this.stopObserving?.();
  }

  /**
   * Whether this process runs: always up, touching neither the database nor the queue. This is the
   * one for a liveness probe (restarting a process never brings a database back).
   */
  isAlive<const Key extends string = 'opensms'>(key: Key = 'opensms' as Key): HealthIndicatorResult<Key> {
    const uptimeSeconds = Math.floor((Date.now() - this.startedAt) / 1000);
    return this.health.check(key).up({ mode: this.found().options.mode, uptimeSeconds });
  }

  /**
   * Whether this process can do its work now: the inbox database answers `SELECT 1` and, in a
   * process that runs the worker (`mode` `'all'` or `'worker'`), the queue answers. Down otherwise;
   * an ingest-only process is down exactly when its inbox database is.
   */
  isReady<const Key extends string = 'opensms'>(
    key: Key = 'opensms' as Key,
    thresholds: Pick<OpenSmsWebhookHealthThresholds, 'timeoutMs'> = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const limits = resolveHealthThresholds(thresholds, this.found().options);
    return this.report(key, { inbox: this.checkInbox(limits), queue: this.checkQueue(limits) });
  }

  /**
   * {@link isReady}, and whether the work keeps up: the backlog (the unfinished events:
   * `received`, `processing`, `failed`) and the age of the oldest of them within their thresholds, the `dead` count (degraded above
   * `maxDead`), and a reconciler sweep completed recently (processes that run it). Down when any
   * part is, with `problems` naming each.
   */
  isHealthy<const Key extends string = 'opensms'>(
    key: Key = 'opensms' as Key,
    thresholds: OpenSmsWebhookHealthThresholds = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const limits = resolveHealthThresholds(thresholds, this.found().options);
    const inbox = this.checkInbox(limits);
    return this.report(key, {
      inbox,
      queue: this.checkQueue(limits),
      // NOTE: counted only once the database answered, so that probes of an unreachable one add one waiting query each, not three.
      backlog: inbox.then(({ part }) => (part.status === 'up' ? this.checkBacklog(limits) : skipped(skippedReasons.backlogWithoutInbox))),
      reconciler: Promise.resolve(this.checkReconciler(limits)),
    });
  }

  private async report<Key extends string>(key: Key, checks: Record<string, Promise<CheckedPart>>): Promise<HealthIndicatorResult<Key>> {
    const names = Object.keys(checks);
    const checked = await Promise.all(Object.values(checks));
    const parts = Object.fromEntries(names.map((name, index) => [name, checked[index].part]));
    const problems = checked.flatMap((part) => part.problems);
    const statuses = checked.map((part) => part.part.status);
    const session = this.health.check(key);
    const details = { mode: this.found().options.mode, ...parts };
    if (statuses.includes('down')) return session.down({ problems, ...details });
    if (statuses.includes('degraded')) return session.degraded({ problems, ...details });
    return session.up(details);
  }

  private async checkInbox(limits: ResolvedHealthThresholds): Promise<CheckedPart> {
    const trip = await roundTrip(() => this.shared('inbox', () => this.found().queries.ping()), limits);
    if ('error' in trip) {
      return down({ responseTimeMs: trip.responseTimeMs, error: trip.error }, healthProblems.inboxUnreachable(trip.error));
    }
    return up({ responseTimeMs: trip.responseTimeMs });
  }

  private async checkQueue(limits: ResolvedHealthThresholds): Promise<CheckedPart> {
    const { producer } = this.found();
    if (!producer) return skipped(skippedReasons.queueInIngestMode);
    const backend = this.found().options.queue.backend;
    const trip = await roundTrip(
      () => this.shared('queue', () => producer.isPaused()),
      limits,
      () => producer.connectionError,
    );
    if ('error' in trip) {
      return down(
        { backend, responseTimeMs: trip.responseTimeMs, error: trip.error },
        healthProblems.queueUnreachable(backend, trip.error),
      );
    }
    return up({ backend, paused: trip.value, responseTimeMs: trip.responseTimeMs });
  }

  private async checkBacklog(limits: ResolvedHealthThresholds): Promise<CheckedPart> {
    const trip = await roundTrip(() => this.inboxFigures().read(), limits);
    if ('error' in trip) return down({ error: trip.error }, healthProblems.backlogUnreadable(trip.error));
    const { backlog, dead, oldestUnfinishedAgeSeconds } = trip.value;
    const unfinished = backlogOf(Object.fromEntries(backlog));
    // NOTE: the age is the database's (now() − received_at), so the app's clock plays no part in it.
    const oldestAgeMs = unfinished === 0 ? null : Math.round(oldestUnfinishedAgeSeconds * 1000);
    const oldest = oldestAgeMs === null ? null : new Date(Date.now() - oldestAgeMs);
    const figures = {
      unfinished,
      received: backlog.get('received') ?? 0,
      failed: backlog.get('failed') ?? 0,
      processing: backlog.get('processing') ?? 0,
      dead,
      oldestUnfinishedAge: oldestAgeMs === null ? null : readableDuration(oldestAgeMs),
      oldestUnfinishedAgeSeconds: oldestAgeMs === null ? null : Math.floor(oldestAgeMs / 1000),
      oldestUnfinishedReceivedAt: oldest?.toISOString() ?? null,
      maxBacklog: limits.maxBacklog,
      maxOldestUnfinishedAge: readableDuration(limits.maxOldestUnfinishedMs),
      maxDead: limits.maxDead ?? null,
    };
    const problems = [
      ...(unfinished > limits.maxBacklog ? [healthProblems.backlogTooLarge(unfinished, limits.maxBacklog)] : []),
      ...(oldestAgeMs !== null && oldestAgeMs > limits.maxOldestUnfinishedMs
        ? [healthProblems.backlogTooOld(oldestAgeMs, limits.maxOldestUnfinishedMs)]
        : []),
    ];
    if (problems.length > 0) return { part: { status: 'down', ...figures }, problems };
    if (limits.maxDead !== undefined && dead > limits.maxDead) {
      return { part: { status: 'degraded', ...figures }, problems: [healthProblems.tooManyDead(dead, limits.maxDead)] };
    }
    return up(figures);
  }

  private checkReconciler(limits: ResolvedHealthThresholds): CheckedPart {
    if (!this.found().producer) return skipped(skippedReasons.reconcilerInIngestMode);
    if (this.found().options.worker.reconcileIntervalMs === 0) return skipped(skippedReasons.reconcilerOff);
    const silentMs = Date.now() - (this.lastSweep?.at.getTime() ?? this.startedAt);
    const figures = {
      lastSweepAt: this.lastSweep?.at.toISOString() ?? null,
      lastSweepAgo: this.lastSweep ? readableDuration(silentMs) : null,
      lastSweepRequeued: this.lastSweep?.requeued ?? null,
      maxSilence: readableDuration(limits.maxReconcilerSilenceMs),
    };
    if (silentMs > limits.maxReconcilerSilenceMs) {
      return down(figures, healthProblems.reconcilerSilent(silentMs, limits.maxReconcilerSilenceMs));
    }
    return up(figures);
  }

  /**
   * Runs `read` once for every check that asks while it runs, so that probes arriving together cost
   * the database or the queue one round trip, not one each.
   */
  private shared<T>(name: string, read: () => Promise<T>): Promise<T> {
    let running = this.reads.get(name) as Promise<T> | undefined;
    if (running === undefined) {
      running = read().finally(() => this.reads.delete(name));
      this.reads.set(name, running);
    }
    return running;
  }

  /** The backlog's figures from the state index, shared by concurrent checks and reused for {@link BACKLOG_REUSE_MS}. */
  private inboxFigures(): SharedInboxFigures {
    this.figures ??= new SharedInboxFigures(this.found().queries, BACKLOG_REUSE_MS);
    return this.figures;
  }

  private found(): OpenSmsWebhookCore {
    if (!this.core) throw new WebhookModuleMissingError('OpenSmsWebhookHealthIndicator');
    return this.core;
  }
}

/** What a bounded round trip gave: its value or its error, and how long it took. */
type RoundTrip<T> = ({ value: T } | { error: string }) & { responseTimeMs: number };

/**
 * `work` within the timeout; a failure is reported by its kind (or its text with `errorDetails`).
 * A timeout is explained by `waitedOn`, when given and known: the error the work is waiting on.
 */
async function roundTrip<T>(
  work: () => Promise<T>,
  limits: ResolvedHealthThresholds,
  waitedOn: () => Error | undefined = () => undefined,
): Promise<RoundTrip<T>> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const timedOut = healthProblems.timedOut(limits.timeoutMs);
  try {
    const value = await withTimeout(work(), limits.timeoutMs, timedOut);
    return { value, responseTimeMs: took() };
  } catch (caught) {
    const error = (caught instanceof Error && caught.message === timedOut && waitedOn()) || caught;
    return { error: limits.errorDetails ? describeError(error) : errorKind(error, timedOut), responseTimeMs: took() };
  }
}

function up(figures: Record<string, unknown>): CheckedPart {
  return { part: { status: 'up', ...figures }, problems: [] };
}

function down(figures: Record<string, unknown>, problem: string): CheckedPart {
  return { part: { status: 'down', ...figures }, problems: [problem] };
}

function skipped(reason: string): CheckedPart {
  return { part: { status: 'skipped', reason }, problems: [] };
}
