import { readableDuration } from '../internal/duration';
import { TLS_CERTIFICATE_ERRORS } from '../internal/tls-certificate';

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

/** Driver error codes and the kind of failure each is reported as. */
const ERROR_KINDS: [codes: readonly string[], kind: string][] = [
  [['ECONNREFUSED', 'ECONNRESET', 'EPIPE'], 'connection refused'],
  [['ENOTFOUND', 'EAI_AGAIN'], 'host not found'],
  [['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'], 'unreachable'],
  [['28P01', '28000', 'NOAUTH', 'WRONGPASS'], 'authentication failed'],
  [['57P01', '57P02', '57P03'], 'the server is shutting down or starting up'],
  [['53300'], 'too many connections'],
  ...TLS_CERTIFICATE_ERRORS,
];

/**
 * What a health answer says of a failed round trip: the kind of failure, never the driver's text
 * (which may name internal addresses); a bound that ran out keeps its own words.
 */
export function errorKind(error: unknown, timeoutMessage: string): string {
  if (error instanceof Error && error.message === timeoutMessage) return timeoutMessage;
  const codes = [error, (error as { cause?: unknown } | null)?.cause].flatMap((candidate) => {
    const { code, errno } = (candidate ?? {}) as { code?: unknown; errno?: unknown };
    return [code, errno, (candidate as Error | undefined)?.message?.split(' ', 1)[0]].filter((value) => typeof value === 'string');
  }) as string[];
  return ERROR_KINDS.find(([known]) => known.some((code) => codes.includes(code)))?.[1] ?? 'failed';
}

/** Why a part is not checked in this process. */
export const skippedReasons = {
  queueInIngestMode: "mode 'ingest': this process never connects to the queue",
  reconcilerInIngestMode: "mode 'ingest': the reconciler runs in the worker processes",
  reconcilerOff: 'worker.reconcileIntervalMs is 0: the reconciler is off',
  backlogWithoutInbox: 'the inbox database does not answer',
};
