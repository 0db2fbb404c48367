import autocannon from 'autocannon';
import type { SignedWebhook } from '@opensms/nestjs-webhooks/testing';
import { BENCH } from './bench.config';

/** One load round against one app. */
export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Deliveries sent more than once because the round outran the pre-signed pool. */
  repeated: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
}

/** Connections of the overload round: more than the library's `ingestQueueLimit` (1000) may wait. */
export const OVERLOAD_CONNECTIONS = 1200;

/** An open-loop round: `ratePerSecond` offered whatever the app answers, over up to `connections` connections. */
export interface OfferedLoad {
  ratePerSecond: number;
  connections: number;
}

/**
 * Drives `url` with `BENCH.connections` clients for `seconds` (or at an offered rate), each request
 * the next pre-signed delivery.
 */
export function runLoad(url: string, deliveries: readonly SignedWebhook[], seconds: number, offered?: OfferedLoad): Promise<LoadResult> {
  return autocannonRound(url, deliveries, {
    connections: offered?.connections ?? BENCH.connections,
    ...(offered && { overallRate: Math.round(offered.ratePerSecond) }),
    duration: seconds,
  });
}

/** Sends each delivery once, over `BENCH.connections` clients. */
export function sendDeliveries(url: string, deliveries: readonly SignedWebhook[]): Promise<LoadResult> {
  return autocannonRound(url, deliveries, { connections: BENCH.connections, amount: deliveries.length });
}

async function autocannonRound(
  url: string,
  deliveries: readonly SignedWebhook[],
  options: Pick<autocannon.Options, 'connections' | 'overallRate' | 'duration' | 'amount'>,
): Promise<LoadResult> {
  let sent = 0;
  const result = await autocannon({
    url,
    ...options,
    requests: [
      {
        setupRequest: (request) => {
          const delivery = deliveries[sent++ % deliveries.length];
          return { ...request, method: 'POST', path: BENCH.path, headers: delivery.headers, body: delivery.body };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    repeated: Math.max(0, sent - deliveries.length),
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
  };
}

/** Every answer of an open-loop round, as its client saw it. */
export interface AnsweredLoad {
  /** Requests written. */
  sent: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** Requests that got no answer within the round's timeout, or whose connection failed. */
  noAnswer: number;
  /** The latency of each answer, in milliseconds. */
  latenciesMs: number[];
  /** The inbox ids the 200 answers gave. */
  acceptedIds: string[];
}

/**
 * Offers `offered` for `seconds` like {@link runLoad}, and keeps each answer: its status, its
 * latency (whatever the status, unlike autocannon's own latency figures, which count 2xx only) and,
 * for a 200, the inbox id it names. A request unanswered after `timeoutSeconds` counts as no answer.
 */
export async function runAnsweredLoad(
  url: string,
  deliveries: readonly SignedWebhook[],
  seconds: number,
  offered: OfferedLoad,
  timeoutSeconds: number,
): Promise<AnsweredLoad> {
  let sent = 0;
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const acceptedIds: string[] = [];
  const round = autocannon({
    url,
    connections: offered.connections,
    overallRate: Math.round(offered.ratePerSecond),
    duration: seconds,
    timeout: timeoutSeconds,
    requests: [
      {
        setupRequest: (request) => {
          const delivery = deliveries[sent++ % deliveries.length];
          return { ...request, method: 'POST', path: BENCH.path, headers: delivery.headers, body: delivery.body };
        },
        onResponse: (status, body) => {
          if (status === 200) acceptedIds.push((JSON.parse(body) as { id: string }).id);
        },
      },
    ],
  });
  round.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latenciesMs.push(responseTime);
  });
  const result = await round;
  // NOTE: autocannon counts a timeout among its errors too.
  return { sent: result.requests.sent, statuses, noAnswer: result.errors, latenciesMs, acceptedIds };
}
