import { createHmac } from 'node:crypto';
import { StripeStyleVerifier } from './stripe-style.verifier';

const KEY = Buffer.from('stripe-style-secret');
const OTHER_KEY = Buffer.from('another-signing-secret');
const HEADER = 'opensms-signature';
const NOW = 1_700_000_000;
const TOLERANCE = 300;
const BODY = '{"event":"sms.failed","message_id":"msg_1"}';

function hexSignature(key: Buffer, timestamp: number | string, body = BODY): string {
  return createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
}

describe('StripeStyleVerifier', () => {
  const verifier = new StripeStyleVerifier(HEADER);
  const verify = (header: string | undefined, body = BODY, keys = [KEY]) =>
    verifier.verify({ headers: header === undefined ? {} : { [HEADER]: header }, rawBody: Buffer.from(body) }, keys, TOLERANCE, NOW);

  it('accepts `t=<unix>,v1=<hex>` over `${t}.${rawBody}`', () => {
    expect(verify(`t=${NOW},v1=${hexSignature(KEY, NOW)}`)).toEqual({ valid: true });
  });

  it('accepts upper-case hex and spaces around pairs', () => {
    expect(verify(` t=${NOW} , v1=${hexSignature(KEY, NOW).toUpperCase()} `)).toEqual({ valid: true });
  });

  it('refuses a changed body, another key, or a signature over another timestamp', () => {
    expect(verify(`t=${NOW},v1=${hexSignature(KEY, NOW)}`, `${BODY} `).valid).toBe(false);
    expect(verify(`t=${NOW},v1=${hexSignature(OTHER_KEY, NOW)}`).valid).toBe(false);
    expect(verify(`t=${NOW},v1=${hexSignature(KEY, NOW - 1)}`).valid).toBe(false);
  });

  it('accepts when any one of several v1 signatures or keys matches', () => {
    const wrong = hexSignature(OTHER_KEY, NOW);
    expect(verify(`t=${NOW},v1=${wrong},v0=abc,v1=${hexSignature(KEY, NOW)}`)).toEqual({ valid: true });
    expect(verify(`t=${NOW},v1=${wrong}`, BODY, [KEY, OTHER_KEY])).toEqual({ valid: true });
  });

  it('refuses timestamps beyond the tolerance in both directions', () => {
    const at = (t: number) => verify(`t=${t},v1=${hexSignature(KEY, t)}`);
    expect(at(NOW - TOLERANCE)).toEqual({ valid: true });
    expect(at(NOW + TOLERANCE)).toEqual({ valid: true });
    expect(at(NOW - TOLERANCE - 1)).toEqual({ valid: false, reason: 'signature timestamp outside the tolerance' });
    expect(at(NOW + TOLERANCE + 1)).toEqual({ valid: false, reason: 'signature timestamp outside the tolerance' });
  });

  it('returns invalid, without throwing, for malformed headers', () => {
    const digest = hexSignature(KEY, NOW);
    const cases = [
      '',
      'v1,',
      `v1=${digest}`,
      `t=${NOW}`,
      `t=${NOW},v1=`,
      `t=${NOW},t=${NOW},v1=${digest}`,
      `t=abc,v1=${digest}`,
      `t=${NOW},v1=${digest.slice(0, 62)}`,
      `t=${NOW},v1=${digest}00`,
      `t=${NOW},v1=${Buffer.from(digest, 'hex').toString('base64')}`,
      `t=${NOW},v1=${'z'.repeat(64)}`,
      '=,=,=',
    ];
    for (const header of cases) {
      expect(() => verify(header)).not.toThrow();
      expect(verify(header).valid).toBe(false);
    }
  });

  it('refuses a call without the header', () => {
    expect(verify(undefined)).toEqual({ valid: false, reason: `missing ${HEADER} header` });
  });
});
