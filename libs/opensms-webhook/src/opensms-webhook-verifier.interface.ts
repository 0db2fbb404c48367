/** Incoming request headers, lower-cased as both Express and Fastify give them. */
export type WebhookRequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a signature verifier gets: headers and the exact bytes received. */
export interface SignedWebhookRequest {
  headers: WebhookRequestHeaders;
  rawBody: Buffer;
}

/** Outcome of a signature check; `reason` is safe to log and to return to the caller. */
export type SignatureVerification = { valid: true } | { valid: false; reason: string };

/**
 * A webhook signature scheme. Implement it to accept a scheme this library does not ship and pass
 * the instance as `ingest.signatureScheme`.
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
   * within tolerance). They run before `tenants.secretResolver`, so that malformed or replayed calls never
   * cost a secret lookup. Must be synchronous and cheap.
   */
  precheck?(request: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerification;
  /**
   * Optional: how this scheme turns one configured secret into key bytes (throw an `Error` saying
   * what is wrong). Default: `whsec_<base64>` decoded, anything else as its UTF-8 bytes. A secret
   * whose key is shorter than 16 bytes is refused, whatever this returns.
   */
  readSecret?(secret: string): Buffer;
  /**
   * Optional: the id the scheme signs for a delivery, the same on every retry of it (Standard
   * Webhooks: `webhook-id`). A signed call that cannot be accepted is kept once per delivery id;
   * without one, once per body.
   */
  deliveryId?(request: SignedWebhookRequest): string | undefined;
}
