import { STANDARD_WEBHOOK_HEADERS } from '../../opensms-webhook.constants';
import { headerValue, type SignedWebhookRequest } from '../webhook-request';
import {
  anyDigestMatches,
  checkTimestamp,
  hmacSha256,
  invalid,
  MAX_SIGNATURES_PER_HEADER,
  VALID,
} from './signature-checks';
import type { SignatureVerification, SignatureVerifier } from './signature-verifier.interface';

const BASE64 = /^[A-Za-z0-9+/]{4,}={0,2}$/;

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64> [v1,<base64> …]` over
 * `${webhook-id}.${webhook-timestamp}.${rawBody}` with HMAC-SHA256.
 */
export class StandardWebhooksVerifier implements SignatureVerifier {
  readonly name = 'standard-webhooks';

  verify(
    { headers, rawBody }: SignedWebhookRequest,
    keys: readonly Buffer[],
    toleranceSeconds: number,
    nowSeconds: number,
  ): SignatureVerification {
    const id = headerValue(headers, STANDARD_WEBHOOK_HEADERS.id);
    const timestamp = headerValue(headers, STANDARD_WEBHOOK_HEADERS.timestamp);
    const signatureHeader = headerValue(headers, STANDARD_WEBHOOK_HEADERS.signature);
    if (!id || !signatureHeader) return invalid('missing webhook-id or webhook-signature header');
    const timing = checkTimestamp(timestamp, toleranceSeconds, nowSeconds);
    if (!timing.valid) return timing;

    const candidates = signatureHeader
      .split(' ')
      .slice(0, MAX_SIGNATURES_PER_HEADER)
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice(3))
      .filter((encoded) => BASE64.test(encoded))
      .map((encoded) => Buffer.from(encoded, 'base64'));
    if (candidates.length === 0) return invalid('no v1 signature in webhook-signature');

    const expected = hmacSha256(keys, [`${id}.${timestamp}.`, rawBody]);
    return anyDigestMatches(candidates, expected) ? VALID : invalid('no signature matches');
  }
}
