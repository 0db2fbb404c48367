import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { InvalidWebhookPublicKeyError } from '../errors/invalid-webhook-public-key.error';
import type { WebhookPublicKeys } from '../opensms-webhook-options.interface';
import { decodeStrictBase64 } from './webhook-secret';

/** Prefix of a Standard Webhooks Ed25519 public key. */
export const WHPK_PREFIX = 'whpk_';
/** Prefix of a Standard Webhooks Ed25519 secret key. */
export const WHSK_PREFIX = 'whsk_';
/** Bytes of an Ed25519 public key (RFC 8032). */
const PUBLIC_KEY_BYTES = 32;
/** Bytes of a `whsk_` key: the 32-byte private key (RFC 8032's), then its 32-byte public key. */
const SECRET_KEY_BYTES = 64;

/** A Standard Webhooks Ed25519 key pair, written as the specification writes keys. */
export interface WebhookKeyPair {
  /** `whsk_<base64>`: signs (the sender's; never configured on the receiver). */
  secretKey: string;
  /** `whpk_<base64>`: verifies (give it in `publicKeys`). */
  publicKey: string;
}

/** Reads one `whpk_<base64>` public key to its 32 raw bytes; throws an `Error` saying what is wrong. */
export function readWebhookPublicKey(text: string): Buffer {
  if (text.startsWith(WHSK_PREFIX)) throw new Error('starts with "whsk_": that is the secret key, which only the sender holds');
  if (!text.startsWith(WHPK_PREFIX)) {
    throw new Error(`does not start with "${WHPK_PREFIX}"${text.startsWith('whsec_') ? ' ("whsec_" secrets belong in secret)' : ''}`);
  }
  const raw = decodeStrictBase64(text.slice(WHPK_PREFIX.length), `starts with "${WHPK_PREFIX}" but the rest is not base64`);
  if (raw.length !== PUBLIC_KEY_BYTES) {
    throw new Error(`gives a ${raw.length}-byte key; an Ed25519 public key is ${PUBLIC_KEY_BYTES} bytes`);
  }
  return raw;
}

/**
 * Turns configured public keys into their raw bytes. Throws {@link InvalidWebhookPublicKeyError}
 * naming the key that is empty, lacks the `whpk_` prefix, is not base64 or is not 32 bytes long.
 */
export function decodeWebhookPublicKeys(keys: WebhookPublicKeys): Buffer[] {
  const list = (typeof keys === 'string' ? [keys] : [...keys]).map((key) => String(key).trim());
  if (list.length === 0) throw new InvalidWebhookPublicKeyError('no public key given');
  return list.map((key, index) => {
    if (key.length === 0) throw new InvalidWebhookPublicKeyError(`public key #${index + 1} is empty`);
    try {
      return readWebhookPublicKey(key);
    } catch (error) {
      throw new InvalidWebhookPublicKeyError(`public key #${index + 1} ${(error as Error).message}`);
    }
  });
}

/** The key object of a raw 32-byte Ed25519 public key (imported as the JWK `{ kty: 'OKP', crv: 'Ed25519', x }`). */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/**
 * Reads a `whsk_<base64>` secret key: 64 bytes, the private key then its public key (the layout
 * Svix, the Standard Webhooks authors' server, writes). Throws an `Error` saying what is wrong.
 */
export function readWebhookSigningKey(text: string): KeyObject {
  if (!text.startsWith(WHSK_PREFIX)) throw new Error(`an Ed25519 secret key starts with "${WHSK_PREFIX}"`);
  const raw = decodeStrictBase64(text.slice(WHSK_PREFIX.length), `the key starts with "${WHSK_PREFIX}" but the rest is not base64`);
  if (raw.length !== SECRET_KEY_BYTES) {
    throw new Error(`the "${WHSK_PREFIX}" key gives ${raw.length} bytes; it must be ${SECRET_KEY_BYTES} (private key, then public key)`);
  }
  const x = raw.subarray(PUBLIC_KEY_BYTES).toString('base64url');
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: raw.subarray(0, PUBLIC_KEY_BYTES).toString('base64url'), x },
    format: 'jwk',
  });
  if (createPublicKey(privateKey).export({ format: 'jwk' }).x !== x) {
    throw new Error(`the public half of the "${WHSK_PREFIX}" key is not the public key of its private half`);
  }
  return privateKey;
}

/** Writes an Ed25519 private key as a {@link WebhookKeyPair} (`whsk_…`, `whpk_…`). */
export function formatWebhookKeyPair(privateKey: KeyObject): WebhookKeyPair {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new Error('an Ed25519 private key is needed');
  const { d, x } = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  const publicKey = Buffer.from(x, 'base64url');
  return {
    secretKey: `${WHSK_PREFIX}${Buffer.concat([Buffer.from(d, 'base64url'), publicKey]).toString('base64')}`,
    publicKey: `${WHPK_PREFIX}${publicKey.toString('base64')}`,
  };
}
