import { readableDuration } from '../internal/duration';

/** The lines of `problems` in a health check that is not up, one per part out of bounds. */
export const healthProblems = {
  inboxUnreachable: (error: string) => `inbox database: ${error}`,
  queueUnreachable: (backend: string, error: string) => `queue (${backend}): ${error}`,
  backlogUnreadable: (error: string) => `backlog: could not be counted: ${error}`,
  backlogTooLarge: (unfinished: number, max: number) =>
    `backlog: ${unfinished} unfinished events (received, processing or failed), more than ${max}`,
  backlogTooOld: (ageMs: number, maxMs: number) =>
    `backlog: the oldest unfinished event is ${readableDuration(ageMs)} old, older than ${readableDuration(maxMs)}`,
  tooManyDead: (dead: number, max: number) => `dead letters: ${dead} dead events, more than ${max}; replay them once the cause is fixed`,
  reconcilerSilent: (silentMs: number, maxMs: number) =>
    `reconciler: no completed sweep for ${readableDuration(silentMs)}, longer than ${readableDuration(maxMs)}`,
  timedOut: (ms: number) => `no answer within ${ms} ms`,
};

/** Why a part is not checked in this process. */
export const skippedReasons = {
  queueInIngestMode: "mode 'ingest': this process never connects to the queue",
  reconcilerInIngestMode: "mode 'ingest': the reconciler runs in the worker processes",
  reconcilerOff: 'reconcileIntervalMs is 0: the reconciler is off',
  backlogWithoutInbox: 'the inbox database does not answer',
};
