import { type OpenSmsWebhookConsoleAuthorize, type OpenSmsWebhookConsoleOptions } from '@opensms/nestjs-webhooks/console';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The console's options for the example app: one shared token, given as the password of HTTP Basic
 * credentials (browsers ask for it; the user name given names the user in the log) or as
 * `Authorization: Bearer <token>`. The form tokens' key is derived from it too, so that every
 * process of the app behind one load balancer accepts the forms of the others.
 */
export function consoleOptions(token: string): OpenSmsWebhookConsoleOptions {
  return { authorize: tokenAuthorize(token), challenge: 'Basic realm="OpenSMS console"', csrfSecret: token };
}

function tokenAuthorize(token: string): OpenSmsWebhookConsoleAuthorize {
  const expected = digest(token);
  const matches = (given: string) => timingSafeEqual(digest(given), expected);
  return (request) => {
    const [scheme, credentials = ''] = (request.headers.authorization ?? '').split(' ');
    if (scheme === 'Bearer') return matches(credentials) ? 'token holder' : false;
    if (scheme !== 'Basic') return false;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator < 0 || !matches(decoded.slice(separator + 1))) return false;
    return decoded.slice(0, separator) || 'token holder';
  };
}

/** Equal-length digests, so the comparison is constant-time whatever the lengths given. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
