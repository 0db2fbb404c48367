import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureVerification } from '../../opensms-webhook-verifier.interface';

/** More candidate signatures than this in one header are not looked at (bounds the HMAC work). */
export const MAX_SIGNATURES_PER_HEADER = 8;

export const VALID: SignatureVerification = { valid: true };

export function invalid(reason: string): SignatureVerification {
  return { valid: false, reason };
}

/** Checks a Unix-seconds timestamp string against `now`, both directions. */
export function checkTimestamp(timestamp: string | undefined, toleranceSeconds: number, nowSeconds: number): SignatureVerification {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return invalid('missing or malformed signature timestamp');
  const skew = Math.abs(nowSeconds - Number(timestamp));
  return skew > toleranceSeconds ? invalid('signature timestamp outside the tolerance') : VALID;
}

/** HMAC-SHA256 of the given parts with each key. */
export function hmacSha256(keys: readonly Buffer[], parts: readonly (string | Buffer)[]): Buffer[] {
  return keys.map((key) => {
    const hmac = createHmac('sha256', key);
    for (const part of parts) hmac.update(part);
    return hmac.digest();
  });
}

/** Constant-time: whether any candidate equals any expected digest (length mismatches are skipped). */
export function anyDigestMatches(candidates: readonly Buffer[], expected: readonly Buffer[]): boolean {
  let matched = false;
  for (const candidate of candidates) {
    for (const digest of expected) {
      if (candidate.length === digest.length && timingSafeEqual(candidate, digest)) matched = true;
    }
  }
  return matched;
}
