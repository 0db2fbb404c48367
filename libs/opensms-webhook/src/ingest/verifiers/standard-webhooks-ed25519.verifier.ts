import { type KeyObject, verify as verifySignature } from 'node:crypto';
import { ed25519PublicKey, readWebhookPublicKey } from '../webhook-ed25519-key';
import { invalid, VALID } from './signature-checks';
import { standardWebhooksDeliveryId, standardWebhooksSignatures } from './standard-webhooks-signature';
import type { SignatureVerification, SignatureVerifier, SignedWebhookRequest } from '../../opensms-webhook-verifier.interface';

/** Bytes of an Ed25519 signature. */
const SIGNATURE_BYTES = 64;
/** Public keys whose key objects are kept, so that a call does not import its keys again. */
const MAX_CACHED_KEYS = 1000;

/**
 * Standard Webhooks asymmetric signatures: `webhook-signature: v1a,<base64> [v1a,<base64> …]`, an
 * Ed25519 signature over `${webhook-id}.${webhook-timestamp}.${rawBody}`. Its keys are the
 * senders' public keys, `whpk_<base64>` (32 bytes), given in `publicKeys`.
 */
export class StandardWebhooksEd25519Verifier implements SignatureVerifier {
  readonly name = 'standard-webhooks-v1a';

  readonly readSecret = readWebhookPublicKey;

  readonly deliveryId = standardWebhooksDeliveryId;

  private readonly keyObjects = new Map<string, KeyObject>();

  precheck(request: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    return standardWebhooksSignatures(request, 'v1a', toleranceSeconds, nowSeconds).verification;
  }

  /** @param keys raw 32-byte Ed25519 public keys */
  verify(request: SignedWebhookRequest, keys: readonly Buffer[], toleranceSeconds: number, nowSeconds: number): SignatureVerification {
    const { verification, signedPrefix, signatures } = standardWebhooksSignatures(request, 'v1a', toleranceSeconds, nowSeconds);
    if (!verification.valid) return verification;
    const signed = Buffer.concat([Buffer.from(signedPrefix), request.rawBody]);
    const publicKeys = keys.map((key) => this.keyObjectOf(key));
    const matches = signatures.some(
      (signature) => signature.length === SIGNATURE_BYTES && publicKeys.some((key) => verifySignature(null, signed, key, signature)),
    );
    return matches ? VALID : invalid('no signature matches');
  }

  private keyObjectOf(raw: Buffer): KeyObject {
    const id = raw.toString('base64');
    let key = this.keyObjects.get(id);
    if (key === undefined) {
      if (this.keyObjects.size >= MAX_CACHED_KEYS) this.keyObjects.clear();
      key = ed25519PublicKey(raw);
      this.keyObjects.set(id, key);
    }
    return key;
  }
}
