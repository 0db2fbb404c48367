import { readStandardWebhooksSecret } from '../webhook-secret';
import { anyDigestMatches, hmacSha256, invalid, VALID } from './signature-checks';
import { standardWebhooksDeliveryId, standardWebhooksSignatures } from './standard-webhooks-signature';
import type { SignatureVerification, SignatureVerifier, SignedWebhookRequest } from '../../opensms-webhook-verifier.interface';

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64> [v1,<base64> …]` over
 * `${webhook-id}.${webhook-timestamp}.${rawBody}` with HMAC-SHA256. Secrets are read as the
 * reference library reads them: `whsec_<base64>`, or base64 without the prefix.
 */
export class StandardWebhooksVerifier implements SignatureVerifier {
  readonly name = 'standard-webhooks';

  readonly readSecret = readStandardWebhooksSecret;

  readonly deliveryId = standardWebhooksDeliveryId;

  precheck(request: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    return standardWebhooksSignatures(request, 'v1', toleranceSeconds, nowSeconds).verification;
  }

  verify(request: SignedWebhookRequest, keys: readonly Buffer[], toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    const { verification, signedPrefix, signatures } = standardWebhooksSignatures(request, 'v1', toleranceSeconds, nowSeconds);
    if (!verification.valid) return verification;
    const expected = hmacSha256(keys, [signedPrefix, request.rawBody]);
    return anyDigestMatches(signatures, expected) ? VALID : invalid('no signature matches');
  }
}
