import { readStripeSecret } from '../webhook-secret';
import { headerValue } from '../webhook-request';
import { anyDigestMatches, checkTimestamp, hmacSha256, invalid, MAX_SIGNATURES_PER_HEADER, VALID } from './signature-checks';
import type { SignatureVerification, SignatureVerifier, SignedWebhookRequest } from '../../opensms-webhook-verifier.interface';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Stripe-style: one header `t=<unix>,v1=<hex>[,v1=<hex>…]` over `${t}.${rawBody}` with HMAC-SHA256.
 * The secret is used as stripe-node uses it: the whole string (`whsec_…` included) is the key.
 */
export class StripeStyleVerifier implements SignatureVerifier {
  readonly name = 'stripe';

  readonly readSecret = readStripeSecret;

  /** @param header the header carrying the signature, lower-case */
  constructor(private readonly header: string) {}

  precheck(request: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    return this.parse(request, toleranceSeconds, nowSeconds).verification;
  }

  verify(request: SignedWebhookRequest, keys: readonly Buffer[], toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    const { verification, timestamp, candidates } = this.parse(request, toleranceSeconds, nowSeconds);
    if (!verification.valid) return verification;
    const expected = hmacSha256(keys, [`${timestamp}.`, request.rawBody]);
    return anyDigestMatches(candidates, expected) ? VALID : invalid('no signature matches');
  }

  private parse(
    { headers }: SignedWebhookRequest,
    toleranceSeconds: number,
    nowSeconds: number,
  ): { verification: SignatureVerification; timestamp?: string; candidates: Buffer[] } {
    const signatureHeader = headerValue(headers, this.header);
    if (!signatureHeader) return { verification: invalid(`missing ${this.header} header`), candidates: [] };

    const pairs = signatureHeader.split(',').map((pair) => {
      const separator = pair.indexOf('=');
      return separator < 0 ? ['', ''] : [pair.slice(0, separator).trim(), pair.slice(separator + 1).trim()];
    });
    const timestamps = pairs.filter(([key]) => key === 't').map(([, value]) => value);
    if (timestamps.length !== 1) return { verification: invalid('missing or repeated t= in the signature header'), candidates: [] };
    const timing = checkTimestamp(timestamps[0], toleranceSeconds, nowSeconds);
    if (!timing.valid) return { verification: timing, candidates: [] };

    const candidates = pairs
      .filter(([key, value]) => key === 'v1' && HEX_SHA256.test(value))
      .slice(0, MAX_SIGNATURES_PER_HEADER)
      .map(([, value]) => Buffer.from(value, 'hex'));
    if (candidates.length === 0) return { verification: invalid('no v1 signature in the signature header'), candidates };
    return { verification: VALID, timestamp: timestamps[0], candidates };
  }
}
