import { generateKeyPairSync, verify } from 'node:crypto';
import { InvalidWebhookPublicKeyError } from '../errors/invalid-webhook-public-key.error';
import { decodeWebhookPublicKeys, ed25519PublicKey, formatWebhookKeyPair, readWebhookSigningKey } from './webhook-ed25519-key';

/** RFC 8032, section 7.1, test 1: private key, public key, and the signature of the empty message. */
const RFC8032_TEST1 = {
  privateKey: Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
  publicKey: Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'),
  signature: Buffer.from(
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    'hex',
  ),
};
const whsk = (bytes: Buffer) => `whsk_${bytes.toString('base64')}`;
const whpk = (bytes: Buffer) => `whpk_${bytes.toString('base64')}`;

describe('Standard Webhooks Ed25519 keys', () => {
  it('read a whpk_ key to the RFC 8032 public key, which verifies the RFC signature', () => {
    const [raw] = decodeWebhookPublicKeys(whpk(RFC8032_TEST1.publicKey));
    expect(raw).toEqual(RFC8032_TEST1.publicKey);
    expect(verify(null, Buffer.alloc(0), ed25519PublicKey(raw), RFC8032_TEST1.signature)).toBe(true);
  });

  it('read a whsk_ key (private key, then public key) and write it back with its public key', () => {
    const secretKey = whsk(Buffer.concat([RFC8032_TEST1.privateKey, RFC8032_TEST1.publicKey]));
    const signingKey = readWebhookSigningKey(secretKey);
    expect(formatWebhookKeyPair(signingKey)).toEqual({ secretKey, publicKey: whpk(RFC8032_TEST1.publicKey) });
  });

  it('refuse a whsk_ key whose public half does not belong to its private half, or of the wrong length', () => {
    const mismatched = whsk(Buffer.concat([RFC8032_TEST1.privateKey, Buffer.alloc(32, 7)]));
    expect(() => readWebhookSigningKey(mismatched)).toThrow(/public half of the "whsk_" key is not the public key of its private half/);
    expect(() => readWebhookSigningKey(whsk(RFC8032_TEST1.privateKey))).toThrow(/gives 32 bytes; it must be 64/);
    expect(() => readWebhookSigningKey(whpk(RFC8032_TEST1.publicKey))).toThrow(/starts with "whsk_"/);
  });

  it('write a generated pair whose public key is the one Node derives', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pair = formatWebhookKeyPair(privateKey);
    expect(decodeWebhookPublicKeys(pair.publicKey)).toEqual([publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]);
    expect(() => formatWebhookKeyPair(publicKey)).toThrow(/an Ed25519 private key is needed/);
  });

  it('refuse malformed public keys with an InvalidWebhookPublicKeyError naming the key', () => {
    expect(() => decodeWebhookPublicKeys(['whpk_x'])).toThrow(InvalidWebhookPublicKeyError);
    expect(() => decodeWebhookPublicKeys([whpk(RFC8032_TEST1.publicKey), 'whpk_AAAA'])).toThrow(/public key #2 gives a 3-byte key/);
  });
});
