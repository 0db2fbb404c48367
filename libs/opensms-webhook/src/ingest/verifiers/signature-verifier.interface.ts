import type { SignedWebhookRequest } from '../webhook-request';

/** Outcome of a signature check; `reason` is safe to log and to return to the caller. */
export type SignatureVerification = { valid: true } | { valid: false; reason: string };

/**
 * A webhook signature scheme. Implement it to accept a scheme this library does not ship and pass
 * the instance as `signatureScheme`.
 *
 * Implementations must compare in constant time, must never throw on malformed input (return
 * `{ valid: false }`), and must check the exact raw bytes.
 */
export interface SignatureVerifier {
  /** Short name used in logs, e.g. `'standard-webhooks'`. */
  readonly name: string;
  /**
   * @param request headers and the raw body as received
   * @param keys candidate secrets as bytes (several during a rotation; any one may match)
   * @param toleranceSeconds accepted clock distance in both directions
   * @param nowSeconds current Unix time in seconds
   */
  verify(
    request: SignedWebhookRequest,
    keys: readonly Buffer[],
    toleranceSeconds: number,
    nowSeconds: number,
  ): SignatureVerification;
}
