import type { ChildHostConfig } from '../fixtures/child-host.app';
import type { ChildApp } from './child-app';
import { deliver, type Delivery } from './delivery';
import { FAST_RECONCILER, FAST_TAKEOVER, type FaultScope, sleep } from './fault-scope';
import { RECORDER_HANDLERS, type EffectTally } from './schema-inspector';
import { waitFor } from './test-app';
import { smsPayload } from './webhook-client';

/** The size and the pace of a soak. */
export interface SoakPlan {
  /** Distinct events sent; each message tells a story of `pending`, then `delivered` or `failed`. */
  events: number;
  /** Share of the events that OpenSMS delivers a second time. @default 0.1 */
  redeliveredShare?: number;
  /** Calls in flight at once, spread over the two ingest processes. @default 32 */
  senders?: number;
  /** Mean pause between two worker kills while events are sent. @default 4000 */
  workerKillEveryMs?: number;
  /** Worker kills at least; when the events are all sent sooner, the kills go on while they are processed. @default 1 */
  minWorkerKills?: number;
  /** Ingest kills, spread evenly over the sending. @default 1 */
  ingestKills?: number;
  /** How long the processing may take after the last event was acknowledged. @default 120_000 */
  drainTimeoutMs?: number;
  /** Receives a line for each kill and stage (default: none). */
  log?: (line: string) => void;
}

/** What a soak saw: the calls and their answers, the kills, and the inbox and effects at the end. */
export interface SoakReport {
  plan: Required<Omit<SoakPlan, 'log'>>;
  /** Calls to make: the events and their redeliveries. */
  calls: number;
  /** Calls answered with a 200. */
  acknowledged: number;
  /** HTTP attempts, the re-sent ones included. */
  attempts: number;
  /** Attempts that got no 200, by status (`0`: no answer, e.g. a connection reset by a kill). */
  resent: Record<string, number>;
  /** Calls answered with a 4xx, which OpenSMS does not re-send. */
  refused: Delivery[];
  /** Distinct inbox ids of the 200 answers. */
  acknowledgedIds: string[];
  /** Events whose calls were answered with more than one inbox id. */
  conflictingIds: number;
  /** From the first call to the last 200. */
  sendMs: number;
  /** Latency of the 200 answers. */
  latencyMs: { p50: number; p99: number; max: number };
  workerKills: number;
  ingestKills: number;
  /** Why a killed process did not start again (a restart still under way at the end is not counted). */
  restartFailures: string[];
  /** Whether every acknowledged event was processed within `drainTimeoutMs`. */
  drained: boolean;
  /** From the last 200 to the end of the last handler run. */
  drainMs: number;
  inboxRows: number;
  states: Record<string, number>;
  outboxEntries: number;
  effects: EffectTally;
  effectRows: number;
  overlappingRuns: number;
  brokenSequences: number;
  wrongStaleFlags: number;
}

const INGEST: Partial<ChildHostConfig> = { mode: 'ingest' };
// NOTE: fast take-over and reconciler, so that a killed worker's events come back within seconds.
const WORKER: Partial<ChildHostConfig> = {
  mode: 'worker',
  handlerDelayMs: 1,
  options: { worker: { ...FAST_TAKEOVER, ...FAST_RECONCILER } },
};
const WORKERS = 3;
const MESSAGES_PER_WINDOW = 500;
const REDELIVERY_DELAY_CALLS = 20;
const PROGRESS_EVERY_MS = 10_000;

/**
 * The calls of a soak: `events` distinct events of many messages (pending then delivered, pending
 * then failed, or pending twice then delivered), each message's events sent in story order among
 * those of other messages, and a share of them sent again a little later, as OpenSMS redelivers.
 */
export function soakCalls(label: string, events: number, redeliveredShare: number): Record<string, unknown>[] {
  const stories = [
    ['sms.pending', 'sms.delivered'],
    ['sms.pending', 'sms.failed'],
    ['sms.pending', 'sms.pending', 'sms.delivered'],
  ];
  const base = Date.parse('2024-01-13T12:00:00Z');
  const distinct: Record<string, unknown>[] = [];
  for (let window = 0; distinct.length < events; window += MESSAGES_PER_WINDOW) {
    for (let step = 0; step < 3; step++) {
      for (let message = window; message < window + MESSAGES_PER_WINDOW && distinct.length < events; message++) {
        const event = stories[message % stories.length][step];
        if (event)
          distinct.push(smsPayload({ event, message_id: `${label}_${message}`, timestamp: new Date(base + step * 1000).toISOString() }));
      }
    }
  }
  const every = redeliveredShare > 0 ? Math.max(1, Math.round(1 / redeliveredShare)) : Infinity;
  const calls: Record<string, unknown>[] = [];
  const later: { at: number; payload: Record<string, unknown> }[] = [];
  distinct.forEach((payload, index) => {
    calls.push(payload);
    if (index % every === every - 1) later.push({ at: index + REDELIVERY_DELAY_CALLS, payload });
    while (later.length > 0 && later[0].at <= index) calls.push(later.shift()!.payload);
  });
  return [...calls, ...later.map(({ payload }) => payload)];
}

/** One process of the soak, restarted with the same configuration when it is killed. */
interface FleetSlot {
  readonly role: 'ingest' | 'worker';
  app: ChildApp;
}

/** The soak's processes: two ingest, three worker, on one scope. */
class SoakFleet {
  /** Why restarts failed. */
  readonly failures: string[] = [];
  private turn = 0;
  kills = { worker: 0, ingest: 0 };

  private constructor(
    private readonly scope: FaultScope,
    readonly slots: FleetSlot[],
    private readonly startedAt: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the first ingest process alone (it runs the migrations), then the others at once. */
  static async start(scope: FaultScope, log: (line: string) => void): Promise<SoakFleet> {
    const startedAt = Date.now();
    const first = await scope.start(INGEST);
    const others = await Promise.all([scope.start(INGEST), ...Array.from({ length: WORKERS }, () => scope.start(WORKER))]);
    const slots: FleetSlot[] = [first, ...others].map((app, index) => ({ role: index < 2 ? 'ingest' : 'worker', app }));
    log(`started 2 ingest and ${WORKERS} worker processes in ${seconds(Date.now() - startedAt)}`);
    return new SoakFleet(scope, slots, Date.now(), log);
  }

  running(role: FleetSlot['role']): FleetSlot[] {
    return this.slots.filter((slot) => slot.role === role && slot.app.isRunning);
  }

  /** The webhook URL of a running ingest process, taking the two in turn; waits while both are down. */
  async ingestUrl(): Promise<string> {
    const ingest = this.slots.filter((slot) => slot.role === 'ingest');
    await waitFor('an ingest process to be up', () => ingest.some((slot) => slot.app.isRunning), 120_000);
    const first = this.turn++ % ingest.length;
    const slot = [...ingest.slice(first), ...ingest.slice(0, first)].find((candidate) => candidate.app.isRunning)!;
    return slot.app.webhookUrl;
  }

  /** SIGKILLs the process of `slot` and starts it again at once with the same configuration. */
  async kill(slot: FleetSlot): Promise<void> {
    await slot.app.kill();
    this.kills[slot.role] += 1;
    this.log(
      `${seconds(Date.now() - this.startedAt)}: killed ${slot.role} ${slot.app.pid} ` +
        `(${this.running('worker').length} workers, ${this.running('ingest').length} ingest up)`,
    );
    void this.scope
      .start(slot.role === 'ingest' ? INGEST : WORKER)
      .then((app) => {
        slot.app = app;
      })
      .catch((error: unknown) => void this.failures.push(error instanceof Error ? error.message : String(error)));
  }
}

/**
 * Runs a soak on `scope`: two ingest processes and three worker processes on its schema and queue
 * prefix, every call of {@link soakCalls} sent by `senders` concurrent senders taking the ingest
 * processes in turn and re-sending each call until it gets a 200, while a worker is SIGKILLed every
 * few seconds (only while another one is up) and an ingest process `ingestKills` times, each
 * restarted at once. Then waits for the processing to end and reads the inbox and the effects.
 * Every process it started, restarts still under way included, is the scope's to end.
 */
export async function runSoak(scope: FaultScope, plan: SoakPlan): Promise<SoakReport> {
  const { log = () => undefined, ...given } = plan;
  const resolved: SoakReport['plan'] = {
    redeliveredShare: 0.1,
    senders: 32,
    workerKillEveryMs: 4000,
    minWorkerKills: 1,
    ingestKills: 1,
    drainTimeoutMs: 120_000,
    ...given,
  };
  const calls = soakCalls('soak', resolved.events, resolved.redeliveredShare);
  const fleet = await SoakFleet.start(scope, log);

  const idsByEvent = new Map<string, Set<string>>();
  const latencies: number[] = [];
  const resent: Record<string, number> = {};
  const refused: Delivery[] = [];
  let attempts = 0;
  let acknowledged = 0;
  let lastAcknowledgedAt = 0;
  let sending = true;
  let stopped = false;

  const deliverUntilAcknowledged = async (payload: Record<string, unknown>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const delivery = await deliver(await fleet.ingestUrl(), payload);
      attempts += 1;
      if (delivery.status === 200) {
        const key = `${payload.event} ${payload.message_id} ${payload.timestamp}`;
        idsByEvent.set(key, (idsByEvent.get(key) ?? new Set()).add(delivery.id!));
        latencies.push(delivery.elapsedMs);
        acknowledged += 1;
        lastAcknowledgedAt = Date.now();
        return;
      }
      resent[delivery.status] = (resent[delivery.status] ?? 0) + 1;
      if (delivery.status >= 400 && delivery.status < 500) return void refused.push(delivery);
      // NOTE: OpenSMS backs off before it re-sends; a short pause keeps a dead port from spinning.
      await sleep(Math.min(20 * attempt, 500));
    }
  };

  const chaos = async (): Promise<void> => {
    let nextWorkerKillAt = Date.now() + jitter(resolved.workerKillEveryMs);
    let nextProgressAt = Date.now() + PROGRESS_EVERY_MS;
    for (;;) {
      const { worker, ingest } = fleet.kills;
      const planDone = worker >= resolved.minWorkerKills && ingest >= resolved.ingestKills;
      if (stopped || (!sending && (planDone || Date.now() > lastAcknowledgedAt + resolved.drainTimeoutMs))) return;
      const ingestUp = fleet.running('ingest');
      const ingestDue = !sending || acknowledged >= (calls.length * (ingest + 1)) / (resolved.ingestKills + 1);
      if (ingest < resolved.ingestKills && ingestDue && ingestUp.length === 2) await fleet.kill(ingestUp[ingest % 2]);
      const workersUp = fleet.running('worker');
      const workerWanted = sending || worker < resolved.minWorkerKills;
      if (workerWanted && Date.now() >= nextWorkerKillAt && workersUp.length >= 2) {
        await fleet.kill(workersUp[Math.floor(Math.random() * workersUp.length)]);
        nextWorkerKillAt = Date.now() + jitter(resolved.workerKillEveryMs);
      }
      if (plan.log && Date.now() >= nextProgressAt) {
        nextProgressAt += PROGRESS_EVERY_MS;
        log(
          `${seconds(Date.now() - sendStartedAt)}: ${acknowledged} of ${calls.length} calls acknowledged, ${await finished()} events processed`,
        );
      }
      await sleep(100);
    }
  };

  const finished = async () => (await scope.inspector.countInState('processed')) + (await scope.inspector.countInState('ignored'));
  const sendStartedAt = Date.now();
  let next = 0;
  const sender = async () => {
    while (next < calls.length) await deliverUntilAcknowledged(calls[next++]);
  };
  const killing = chaos();
  let drained: boolean;
  try {
    await Promise.all(Array.from({ length: Math.min(resolved.senders, calls.length) }, sender));
    sending = false;
    log(`${acknowledged} calls acknowledged in ${seconds(lastAcknowledgedAt - sendStartedAt)}`);
    // NOTE: when the calls were all answered before the planned kills, the kills go on while the events are processed.
    await killing;
    const expected = acknowledgedIdsOf(idsByEvent).length;
    drained = await reached('every acknowledged event processed', async () => (await finished()) >= expected, resolved.drainTimeoutMs);
    if (drained) await reached('the outbox empty', async () => (await scope.inspector.countOutboxEntries()) === 0, 30_000);
  } finally {
    sending = false;
    stopped = true;
    await killing;
  }

  const inspector = scope.inspector;
  const acknowledgedIds = acknowledgedIdsOf(idsByEvent);
  const lastEffectAt = (await inspector.lastEffectEndedAt())?.getTime() ?? lastAcknowledgedAt;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    plan: resolved,
    calls: calls.length,
    acknowledged,
    attempts,
    resent,
    refused,
    acknowledgedIds,
    conflictingIds: [...idsByEvent.values()].filter((ids) => ids.size > 1).length,
    sendMs: lastAcknowledgedAt - sendStartedAt,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? 0 },
    restartFailures: [...fleet.failures],
    workerKills: fleet.kills.worker,
    ingestKills: fleet.kills.ingest,
    drained,
    drainMs: Math.max(0, lastEffectAt - lastAcknowledgedAt),
    inboxRows: await inspector.countEvents(),
    states: await inspector.states(),
    outboxEntries: await inspector.countOutboxEntries(),
    effects: await inspector.tallyEffects(acknowledgedIds),
    effectRows: await inspector.countEffects(),
    overlappingRuns: await inspector.overlappingRuns(),
    brokenSequences: await inspector.messagesWithBrokenSequence(),
    wrongStaleFlags: await inspector.wrongStaleFlags(),
  };
}

/** What went wrong in a soak, one sentence each; empty when nothing acknowledged was lost, doubled or stuck. */
export function soakProblems(report: SoakReport): string[] {
  const { events } = report.plan;
  const handlers = RECORDER_HANDLERS.length;
  const { effects } = report;
  const first = (keys: string[]) => keys.slice(0, 5).join(', ');
  const stuck = Object.entries(report.states).filter(([state]) => state !== 'processed' && state !== 'ignored');
  return [
    report.refused.length > 0 &&
      `${report.refused.length} calls refused, e.g. ${report.refused[0].status} ${JSON.stringify(report.refused[0].response?.body)}`,
    report.acknowledgedIds.length !== events && `${report.acknowledgedIds.length} events acknowledged, not ${events}`,
    report.conflictingIds > 0 && `${report.conflictingIds} events answered with more than one inbox id`,
    report.inboxRows !== events && `${report.inboxRows} inbox rows, not ${events}`,
    !report.drained && `not every acknowledged event processed within ${report.plan.drainTimeoutMs} ms`,
    stuck.length > 0 && `rows not processed: ${stuck.map(([state, count]) => `${count} ${state}`).join(', ')}`,
    report.outboxEntries > 0 && `${report.outboxEntries} outbox entries left`,
    effects.exactlyOnce !== events && `${effects.exactlyOnce} of ${events} events handled exactly once per handler`,
    effects.missing.length > 0 && `${effects.missing.length} handler runs missing: ${first(effects.missing)}`,
    effects.duplicated.length > 0 && `${effects.duplicated.length} handler runs doubled: ${first(effects.duplicated)}`,
    effects.unexpected.length > 0 && `${effects.unexpected.length} events with effects but no 200: ${first(effects.unexpected)}`,
    report.effectRows !== events * handlers && `${report.effectRows} effect rows, not ${events * handlers}`,
    report.overlappingRuns > 0 && `${report.overlappingRuns} pairs of runs of one message overlapped`,
    report.brokenSequences > 0 && `${report.brokenSequences} messages with a broken sequence of runs`,
    report.wrongStaleFlags > 0 && `${report.wrongStaleFlags} events with a wrong ctx.stale`,
    report.restartFailures.length > 0 && `${report.restartFailures.length} restarts failed: ${report.restartFailures[0]}`,
    report.workerKills < report.plan.minWorkerKills && `${report.workerKills} worker kills, not ${report.plan.minWorkerKills}`,
    report.ingestKills < report.plan.ingestKills && `${report.ingestKills} ingest kills, not ${report.plan.ingestKills}`,
  ].filter((problem): problem is string => typeof problem === 'string');
}

/** The soak's figures, a few lines for a person. */
export function formatSoakReport(report: SoakReport): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const resent = Object.entries(report.resent).map(([status, count]) => `${n(count)} after ${status === '0' ? 'no answer' : status}`);
  const states = Object.entries(report.states).map(([state, count]) => `${n(count)} ${state}`);
  return [
    `soak: ${n(report.plan.events)} events (+${n(report.calls - report.plan.events)} redelivered), 2 ingest and ${WORKERS} worker processes`,
    `  acknowledged  ${n(report.acknowledged)} calls in ${seconds(report.sendMs)}: ` +
      `${n(Math.round((report.acknowledged * 1000) / Math.max(1, report.sendMs)))} calls/s, ` +
      `${report.plan.senders} senders; ${n(report.attempts - report.calls)} re-sent${resent.length > 0 ? ` (${resent.join(', ')})` : ''}`,
    `  answers       200 in p50 ${n(report.latencyMs.p50)} ms, p99 ${n(report.latencyMs.p99)} ms, max ${n(report.latencyMs.max)} ms`,
    `  kills         workers ${report.workerKills}, ingest ${report.ingestKills} (SIGKILL, each restarted at once)`,
    `  drain         ${report.drained ? seconds(report.drainMs) : 'not finished'} from the last event acknowledged to the last event processed`,
    `  end           ${n(report.inboxRows)} inbox rows (${states.join(', ')}), ${n(report.outboxEntries)} outbox entries; ` +
      `${n(report.effects.exactlyOnce)} events handled once per handler (${n(report.effectRows)} effect rows); ` +
      `${report.overlappingRuns} overlapping runs, ${report.brokenSequences} broken sequences, ${report.wrongStaleFlags} wrong stale flags`,
  ].join('\n');
}

function acknowledgedIdsOf(idsByEvent: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  return [...new Set([...idsByEvent.values()].flatMap((ids) => [...ids]))];
}

/** Like waitFor, but says whether the condition was reached instead of throwing. */
async function reached(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(what, check, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
}

/** `mean` ± 50 %. */
function jitter(mean: number): number {
  return mean * (0.5 + Math.random());
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
