import type { OpenSmsWebhookMode } from '@opensms/nestjs-webhooks';
import { InvalidAppConfigError } from './invalid-app-config.error';

/** HTTP platform the example app runs on. */
export type HttpAdapterName = 'express' | 'fastify';

/** Where BullMQ keeps the jobs. */
export type QueueBackendName = 'redis' | 'postgres';

/** The example app's configuration, read from environment variables and checked at start-up. */
export interface AppConfig {
  /** `PORT`, default 3000 (`0`: any free port). */
  PORT: number;
  /** `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`. */
  DATABASE_URL: string;
  /** `DATABASE_SCHEMA`, default `public`. The schema must exist. */
  DATABASE_SCHEMA: string;
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  REDIS_URL: string;
  /** `OPENSMS_WEBHOOK_SECRET`, required: one secret, or several separated by commas during a rotation. */
  OPENSMS_WEBHOOK_SECRET: string[];
  /** `OPENSMS_QUEUE_BACKEND`, default `redis`; `postgres` keeps the jobs in `DATABASE_URL`. */
  OPENSMS_QUEUE_BACKEND: QueueBackendName;
  /** `OPENSMS_QUEUE_PREFIX`, default `bull`: BullMQ key prefix (Redis backend). */
  OPENSMS_QUEUE_PREFIX: string;
  /** `OPENSMS_QUEUE_SCHEMA`, default `bullmq`: schema of the jobs (PostgreSQL backend), created when missing. */
  OPENSMS_QUEUE_SCHEMA: string;
  /** `OPENSMS_WEBHOOK_MODE`, default `all`: `ingest` or `worker` to scale the two sides apart. */
  OPENSMS_WEBHOOK_MODE: OpenSmsWebhookMode;
  /** `HTTP_ADAPTER`, default `express`. */
  HTTP_ADAPTER: HttpAdapterName;
  /** `HTTP_REQUEST_TIMEOUT_MS`, default 30000: a request not received in full by then is answered 408 and its connection closed. */
  HTTP_REQUEST_TIMEOUT_MS: number;
  /** `HTTP_HEADERS_TIMEOUT_MS`, default 10000 (at most `HTTP_REQUEST_TIMEOUT_MS`): the same for the request's headers. */
  HTTP_HEADERS_TIMEOUT_MS: number;
  /** `HTTP_KEEP_ALIVE_TIMEOUT_MS`, default 5000: how long an idle kept-alive connection stays open. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
  /**
   * `HTTP_CONNECTIONS_CHECK_INTERVAL_MS`, default 1000: how often Node.js looks for requests past the two
   * timeouts above, so a request is ended at most this much after its timeout.
   */
  HTTP_CONNECTIONS_CHECK_INTERVAL_MS: number;
  /**
   * `OPENSMS_CONSOLE_TOKEN`: when set (16 characters or more, 8 of them different), the inbox console at `/opensms`
   * takes it as password.
   */
  OPENSMS_CONSOLE_TOKEN?: string;
}

/** Shortest console token accepted. */
export const CONSOLE_TOKEN_MIN_LENGTH = 16;
/** Fewest different characters of a console token: `aaaaaaaaaaaaaaaa` or `abababababababab` is refused. */
export const CONSOLE_TOKEN_MIN_DISTINCT = 8;

/** `DATABASE_URL` when unset: a PostgreSQL on this machine's default port. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** `REDIS_URL` when unset: a Redis on this machine's default port. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The largest delay Node.js timers take (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** Environment variables as the process has them. */
export type RawEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Reads and checks the example app's environment. Throws {@link InvalidAppConfigError} naming
 * every problem at once, so a misconfigured app stops before it connects to anything.
 */
export function validateAppConfig(environment: RawEnvironment): AppConfig {
  const problems: string[] = [];
  const value = (name: string, fallback: string) => environment[name]?.trim() || fallback;
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const given = value(name, fallback);
    if ((allowed as readonly string[]).includes(given)) return given as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${given}")`);
    return fallback;
  };

  const port = Number(value('PORT', '3000'));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    problems.push(`PORT must be a whole number from 0 to 65535 (got "${environment.PORT}")`);
  }
  const milliseconds = (name: string, fallback: number): number => {
    const given = Number(value(name, String(fallback)));
    if (Number.isInteger(given) && given >= 1 && given <= MAX_TIMER_MS) return given;
    problems.push(`${name} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS} (got "${environment[name]}")`);
    return fallback;
  };
  const requestTimeout = milliseconds('HTTP_REQUEST_TIMEOUT_MS', 30_000);
  const headersTimeout = milliseconds('HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeout));
  if (headersTimeout > requestTimeout) {
    problems.push(`HTTP_HEADERS_TIMEOUT_MS (${headersTimeout}) must not be greater than HTTP_REQUEST_TIMEOUT_MS (${requestTimeout})`);
  }
  const keepAliveTimeout = milliseconds('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000);
  const checkInterval = milliseconds('HTTP_CONNECTIONS_CHECK_INTERVAL_MS', 1000);
  const databaseUrl = value('DATABASE_URL', DEFAULT_DATABASE_URL);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// URL');
  const redisUrl = value('REDIS_URL', DEFAULT_REDIS_URL);
  if (!/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  const secrets = (environment.OPENSMS_WEBHOOK_SECRET ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
  if (secrets.length === 0) {
    problems.push(
      'OPENSMS_WEBHOOK_SECRET is required: the signing secret from OpenSMS (Settings → Webhooks), ' +
        'e.g. whsec_…; give several separated by commas while rotating',
    );
  }

  const consoleToken = environment.OPENSMS_CONSOLE_TOKEN?.trim() || undefined;
  if (consoleToken !== undefined) problems.push(...consoleTokenProblems(consoleToken));

  const config: AppConfig = {
    PORT: port,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: value('DATABASE_SCHEMA', 'public'),
    REDIS_URL: redisUrl,
    OPENSMS_WEBHOOK_SECRET: secrets,
    OPENSMS_QUEUE_BACKEND: oneOf('OPENSMS_QUEUE_BACKEND', ['redis', 'postgres'], 'redis'),
    OPENSMS_QUEUE_PREFIX: value('OPENSMS_QUEUE_PREFIX', 'bull'),
    OPENSMS_QUEUE_SCHEMA: value('OPENSMS_QUEUE_SCHEMA', 'bullmq'),
    OPENSMS_WEBHOOK_MODE: oneOf('OPENSMS_WEBHOOK_MODE', ['all', 'ingest', 'worker'], 'all'),
    HTTP_ADAPTER: oneOf('HTTP_ADAPTER', ['express', 'fastify'], 'express'),
    HTTP_REQUEST_TIMEOUT_MS: requestTimeout,
    HTTP_HEADERS_TIMEOUT_MS: headersTimeout,
    HTTP_KEEP_ALIVE_TIMEOUT_MS: keepAliveTimeout,
    HTTP_CONNECTIONS_CHECK_INTERVAL_MS: checkInterval,
    ...(consoleToken ? { OPENSMS_CONSOLE_TOKEN: consoleToken } : {}),
  };
  if (problems.length > 0) throw new InvalidAppConfigError(problems);
  return config;
}

/** Why a console token is too easy to guess: too short, or too few different characters; none when it is fit. */
function consoleTokenProblems(token: string): string[] {
  const make = 'make one with openssl rand -base64 24, or unset it to turn the console off';
  if (token.length < CONSOLE_TOKEN_MIN_LENGTH) {
    return [`OPENSMS_CONSOLE_TOKEN must be at least ${CONSOLE_TOKEN_MIN_LENGTH} characters: ${make}`];
  }
  const distinct = new Set(token).size;
  if (distinct < CONSOLE_TOKEN_MIN_DISTINCT) {
    return [`OPENSMS_CONSOLE_TOKEN must have at least ${CONSOLE_TOKEN_MIN_DISTINCT} different characters (it has ${distinct}): ${make}`];
  }
  return [];
}
