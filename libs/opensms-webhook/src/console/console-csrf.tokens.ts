import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { OPENSMS_CONSOLE_OPTIONS } from './console.constants';
import type { ResolvedOpenSmsWebhookConsoleOptions } from './opensms-webhook-console-options.interface';

/** HKDF `info` of the form-token key derived from `csrfSecret`: the key serves this purpose only. */
const KEY_INFO = 'opensms-webhook console form token v1';

/** A form token: a random nonce (16 bytes) and its HMAC (32 bytes), both base64url. */
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * The console's form tokens: `<nonce>.<HMAC-SHA256(key, nonce ‖ SHA-256(credential))>`, so that a
 * token is valid only for the credential it was issued to, and only when this server (or one with
 * the same `csrfSecret`) made it. The key is derived from `csrfSecret` with HKDF-SHA256, the same in
 * every process given it; without it, 32 random bytes of this module instance.
 */
@Injectable()
export class ConsoleCsrfTokens {
  private readonly key: Buffer;

  constructor(@Inject(OPENSMS_CONSOLE_OPTIONS) options: Pick<ResolvedOpenSmsWebhookConsoleOptions, 'csrfSecret'>) {
    this.key =
      options.csrfSecret === undefined
        ? randomBytes(32)
        : Buffer.from(hkdfSync('sha256', options.csrfSecret, Buffer.alloc(0), KEY_INFO, 32));
  }

  /** A new token for `credential`. */
  issue(credential: string): string {
    const nonce = randomBytes(16).toString('base64url');
    return `${nonce}.${this.mac(nonce, credential)}`;
  }

  /** Whether `token` was issued by this key for `credential` (compared in constant time). */
  verify(token: string, credential: string): boolean {
    const parts = TOKEN.exec(token);
    if (!parts) return false;
    // NOTE: the expected token is compared as text, so that a non-canonical base64 spelling of the same bytes is refused too.
    return sameText(token, `${parts[1]}.${this.mac(parts[1], credential)}`);
  }

  private mac(nonce: string, credential: string): string {
    const bound = createHash('sha256').update(credential).digest();
    return createHmac('sha256', this.key).update(nonce).update(bound).digest('base64url');
  }
}

/** Equality of two texts in a time that depends only on their lengths. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
