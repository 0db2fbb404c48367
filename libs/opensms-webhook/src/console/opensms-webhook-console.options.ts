import { InvalidConsoleOptionsError } from '../errors/invalid-console-options.error';
import type {
  OpenSmsWebhookConsoleExtras,
  OpenSmsWebhookConsoleOptions,
  ResolvedOpenSmsWebhookConsoleOptions,
} from './opensms-webhook-console-options.interface';

/** Defaults of the module-shaping console options. */
export const DEFAULT_CONSOLE_EXTRAS: OpenSmsWebhookConsoleExtras = { path: 'opensms', guards: [] };

/** Largest search page. */
const MAX_PAGE_SIZE = 500;

/** Shortest `csrfSecret` accepted. */
const CSRF_SECRET_MIN_LENGTH = 16;

/**
 * Applies the defaults and checks the console options. Throws {@link InvalidConsoleOptionsError}
 * naming every problem; above all, a console without any access check never starts.
 */
export function resolveConsoleOptions(
  options: OpenSmsWebhookConsoleOptions,
  extras: Pick<OpenSmsWebhookConsoleExtras, 'guards'>,
): ResolvedOpenSmsWebhookConsoleOptions {
  const problems: string[] = [];
  const guarded = extras.guards.length > 0;
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    problems.push('authorize must be a function (request) => user | false');
  } else if (options.authorize === undefined && !guarded) {
    problems.push(
      'the console needs an access check and is never open by default: pass authorize: (request) => user | false, ' +
        'or guards: [YourAuthGuard]',
    );
  }
  const pageSize = options.pageSize ?? 50;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    problems.push(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const replayLimit = options.replayLimit ?? 10_000;
  if (!Number.isInteger(replayLimit) || replayLimit < 1) problems.push('replayLimit must be a whole number of at least 1');
  if (options.challenge !== undefined && !/^[\x20-\x7e]+$/.test(options.challenge)) {
    problems.push('challenge must be a printable header value, e.g. \'Basic realm="OpenSMS console"\'');
  }
  const { csrfSecret } = options;
  if (csrfSecret !== undefined && (typeof csrfSecret !== 'string' || csrfSecret.length < CSRF_SECRET_MIN_LENGTH)) {
    problems.push(
      `csrfSecret must be a string of at least ${CSRF_SECRET_MIN_LENGTH} characters, the same in every process: ` +
        'make one with openssl rand -base64 32, or leave it out for a random key per process',
    );
  }
  if (problems.length > 0) throw new InvalidConsoleOptionsError(problems);
  return { authorize: options.authorize, challenge: options.challenge, csrfSecret, pageSize, replayLimit, guarded };
}

/** The console's route without leading or trailing slashes; throws when it is empty. */
export function consolePath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (!trimmed) throw new InvalidConsoleOptionsError(['path must be a non-empty route, e.g. "opensms"']);
  return trimmed;
}
