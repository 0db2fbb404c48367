import { STANDARD_WEBHOOK_HEADERS } from '../../opensms-webhook.constants';
import type { SignatureVerification, SignedWebhookRequest } from '../../opensms-webhook-verifier.interface';
import { headerValue } from '../webhook-request';
import { checkTimestamp, invalid, MAX_SIGNATURES_PER_HEADER, VALID } from './signature-checks';

const BASE64 = /^[A-Za-z0-9+/]{4,}={0,2}$/;

/** Signature versions of Standard Webhooks: `v1` (HMAC-SHA256) and `v1a` (Ed25519). */
export type StandardWebhooksVersion = 'v1' | 'v1a';

/** A Standard Webhooks call that passed the checks needing no key, with its signatures of one version. */
export interface StandardWebhooksSignatures {
  verification: SignatureVerification;
  /** What every version signs: `${webhook-id}.${webhook-timestamp}.` (the raw body follows). */
  signedPrefix: string;
  /** The decoded signatures of the version asked for (at most {@link MAX_SIGNATURES_PER_HEADER} entries are looked at). */
  signatures: Buffer[];
}

/** The delivery id of a Standard Webhooks call: its `webhook-id`, the same on every retry. */
export function standardWebhooksDeliveryId({ headers }: SignedWebhookRequest): string | undefined {
  return headerValue(headers, STANDARD_WEBHOOK_HEADERS.id);
}

/**
 * Reads the signatures of one version from a Standard Webhooks call, after the checks that need no
 * key: `webhook-id` and `webhook-signature` present, `webhook-timestamp` within the tolerance, and
 * at least one well-formed `<version>,<base64>` entry in the space-separated signature list.
 */
export function standardWebhooksSignatures(
  { headers }: SignedWebhookRequest,
  version: StandardWebhooksVersion,
  toleranceSeconds: number,
  nowSeconds: number,
): StandardWebhooksSignatures {
  const id = headerValue(headers, STANDARD_WEBHOOK_HEADERS.id);
  const timestamp = headerValue(headers, STANDARD_WEBHOOK_HEADERS.timestamp);
  const signatureHeader = headerValue(headers, STANDARD_WEBHOOK_HEADERS.signature);
  const refused = (verification: SignatureVerification) => ({ verification, signedPrefix: '', signatures: [] });
  if (!id || !signatureHeader) return refused(invalid('missing webhook-id or webhook-signature header'));
  const timing = checkTimestamp(timestamp, toleranceSeconds, nowSeconds);
  if (!timing.valid) return refused(timing);
  const entryPrefix = `${version},`;
  const signatures = signatureHeader
    .split(' ')
    .slice(0, MAX_SIGNATURES_PER_HEADER)
    .filter((entry) => entry.startsWith(entryPrefix))
    .map((entry) => entry.slice(entryPrefix.length))
    .filter((encoded) => BASE64.test(encoded))
    .map((encoded) => Buffer.from(encoded, 'base64'));
  if (signatures.length === 0) return refused(invalid(`no ${version} signature in webhook-signature`));
  return { verification: VALID, signedPrefix: `${id}.${timestamp}.`, signatures };
}
