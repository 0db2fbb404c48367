import { isIPv6 } from 'node:net';
import { CONSOLE_ACCESS_FAILURE_LIMIT, CONSOLE_ACCESS_MAX_CLIENTS, CONSOLE_ACCESS_WINDOW_MS } from './console.constants';

/** A refused request counted by {@link ConsoleAccessThrottle.failed}. */
export interface ConsoleAccessFailure {
  /** Refused requests of the client in its current window, this one included. */
  failures: number;
  /** When the client's window began (its first refused request in it). */
  since: Date;
  /** Whether this refusal reached the limit: true once per client and window. */
  limitReached: boolean;
}

/** What the throttle reads of a request to name its client (Express and Fastify requests both have these). */
export interface ConsoleClientRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
}

/**
 * Counts the refused console requests of each client in a fixed window that starts with its first
 * refused request; once a client has `limit` of them, it is held off until that window has passed.
 * A successful request resets nothing: otherwise whoever holds one account could keep guessing the
 * others by signing in between guesses. At most `maxClients` clients are kept, the oldest window
 * forgotten first, so that a flood of addresses costs bounded memory.
 */
export class ConsoleAccessThrottle {
  /** In the order their windows began (an entry is re-inserted when its window starts again). */
  private readonly clients = new Map<string, { since: number; failures: number }>();

  constructor(
    readonly limit = CONSOLE_ACCESS_FAILURE_LIMIT,
    readonly windowMs = CONSOLE_ACCESS_WINDOW_MS,
    readonly maxClients = CONSOLE_ACCESS_MAX_CLIENTS,
  ) {}

  /** Clients counted now. */
  get size(): number {
    return this.clients.size;
  }

  /** Milliseconds until `client` may be asked again; 0 when it may now. */
  retryAfterMs(client: string): number {
    const now = Date.now();
    const entry = this.current(client, now);
    if (!entry || entry.failures < this.limit) return 0;
    return entry.since + this.windowMs - now;
  }

  /** Counts a refused request of `client`. */
  failed(client: string): ConsoleAccessFailure {
    const now = Date.now();
    let entry = this.current(client, now);
    if (!entry) {
      entry = { since: now, failures: 0 };
      while (this.clients.size >= this.maxClients) this.clients.delete(this.clients.keys().next().value as string);
      this.clients.set(client, entry);
    }
    entry.failures += 1;
    return { failures: entry.failures, since: new Date(entry.since), limitReached: entry.failures === this.limit };
  }

  /** The client's entry while its window lasts; an entry whose window has passed is forgotten. */
  private current(client: string, now: number): { since: number; failures: number } | undefined {
    const entry = this.clients.get(client);
    if (entry && now - entry.since >= this.windowMs) {
      this.clients.delete(client);
      return undefined;
    }
    return entry;
  }
}

/**
 * The client of a request, by its address as the HTTP adapter gives it (`request.ip`: behind a
 * proxy, the address the adapter's `trust proxy` setting picks). An IPv4-mapped IPv6 address counts
 * as its IPv4 address, and an IPv6 address by its /64 network, which one host usually has whole:
 * otherwise a host could take a new address for every few guesses.
 */
export function consoleClientOf(request: ConsoleClientRequest): string {
  const address = request.ip ?? request.socket?.remoteAddress;
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address) || address === '::1') return address;
  const [head, tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`;
}
