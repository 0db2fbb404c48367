import type { SignedWebhookRequest } from '../webhook-request';

/** Outcome of a signature check; `reason` is safe to log and to return to the caller. */
export type SignatureVerification = { valid: true } | { valid: false; reason: string };

/**
 * A webhook signature scheme. Implement it to accept a scheme this library does not ship and pass
 * the instance as `signatureScheme`.
 *
 * Implementations must compare in constant time and must check the exact raw bytes. A call counts
 * as verified only when `verify` answers `{ valid: true }` (exactly `true`); throwing (or
 * rejecting) answers 401 and is logged with the secrets redacted.
 */
export interface SignatureVerifier {
  /** Short name used in logs, e.g. `'standard-webhooks'`. */
  readonly name: string;
  /**
   * @param request headers and the raw body as received
   * @param keys candidate secrets as bytes (several during a rotation; any one may match)
   * @param toleranceSeconds accepted clock distance in both directions
   * @param nowSeconds current Unix time in seconds
   * @returns the outcome, or a promise of it (awaited)
   */
  verify(
    request: SignedWebhookRequest,
    keys: readonly Buffer[],
    toleranceSeconds: number,
    nowSeconds: number,
  ): SignatureVerification | Promise<SignatureVerification>;
  /**
   * Optional checks that need no secret (signature headers present and well-formed, timestamp
   * within tolerance). They run before `secretResolver`, so that malformed or replayed calls never
   * cost a secret lookup. Must be synchronous and cheap.
   */
  precheck?(request: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerification;
  /**
   * Optional: how this scheme turns one configured secret into key bytes (throw an `Error` saying
   * what is wrong). Default: `whsec_<base64>` decoded, anything else as its UTF-8 bytes.
   */
  readSecret?(secret: string): Buffer;
}
