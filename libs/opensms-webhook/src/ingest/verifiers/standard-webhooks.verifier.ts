import { STANDARD_WEBHOOK_HEADERS } from '../../opensms-webhook.constants';
import { readStandardWebhooksSecret } from '../webhook-secret';
import { headerValue } from '../webhook-request';
import { anyDigestMatches, checkTimestamp, hmacSha256, invalid, MAX_SIGNATURES_PER_HEADER, VALID } from './signature-checks';
import type { SignatureVerification, SignatureVerifier, SignedWebhookRequest } from '../../opensms-webhook-verifier.interface';

const BASE64 = /^[A-Za-z0-9+/]{4,}={0,2}$/;

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64> [v1,<base64> …]` over
 * `${webhook-id}.${webhook-timestamp}.${rawBody}` with HMAC-SHA256. Secrets are read as the
 * reference library reads them: `whsec_<base64>`, or base64 without the prefix.
 */
export class StandardWebhooksVerifier implements SignatureVerifier {
  readonly name = 'standard-webhooks';

  readonly readSecret = readStandardWebhooksSecret;

  deliveryId({ headers }: SignedWebhookRequest): string | undefined {
    return headerValue(headers, STANDARD_WEBHOOK_HEADERS.id);
  }

  precheck({ headers }: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    const id = headerValue(headers, STANDARD_WEBHOOK_HEADERS.id);
    const signatureHeader = headerValue(headers, STANDARD_WEBHOOK_HEADERS.signature);
    if (!id || !signatureHeader) return invalid('missing webhook-id or webhook-signature header');
    const timing = checkTimestamp(headerValue(headers, STANDARD_WEBHOOK_HEADERS.timestamp), toleranceSeconds, nowSeconds);
    if (!timing.valid) return timing;
    return this.candidatesOf(signatureHeader).length === 0 ? invalid('no v1 signature in webhook-signature') : VALID;
  }

  verify(request: SignedWebhookRequest, keys: readonly Buffer[], toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    const checked = this.precheck(request, toleranceSeconds, nowSeconds);
    if (!checked.valid) return checked;
    const { headers, rawBody } = request;
    const id = headerValue(headers, STANDARD_WEBHOOK_HEADERS.id) as string;
    const timestamp = headerValue(headers, STANDARD_WEBHOOK_HEADERS.timestamp) as string;
    const candidates = this.candidatesOf(headerValue(headers, STANDARD_WEBHOOK_HEADERS.signature) as string);
    const expected = hmacSha256(keys, [`${id}.${timestamp}.`, rawBody]);
    return anyDigestMatches(candidates, expected) ? VALID : invalid('no signature matches');
  }

  private candidatesOf(signatureHeader: string): Buffer[] {
    return signatureHeader
      .split(' ')
      .slice(0, MAX_SIGNATURES_PER_HEADER)
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice(3))
      .filter((encoded) => BASE64.test(encoded))
      .map((encoded) => Buffer.from(encoded, 'base64'));
  }
}
