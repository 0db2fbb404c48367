import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import fc from 'fast-check';
import { type HttpAdapterName, TEST_SECRET, useTestApp } from './support/test-app';
import { postRaw, smsPayload } from './support/webhook-client';

const SEED = 20260113;

/** Object.prototype must keep exactly the keys it had before any request. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('v1,', 'v1', 'v1,,', ',', '', ' ', 'v1,AAAA', 'v1,====', 'v2,abc', 't=,v1=', '\u0000', '🚀'),
  fc.array(fc.constantFrom('v1,', 'v1,AAAA', 'v1,@@', 'v1,' + 'A'.repeat(44)), { maxLength: 300 }).map((list) => list.join(' ')),
  fc.string({ minLength: 1000, maxLength: 8000 }),
);

/** Deeply nested JSON text, too deep for naïve recursion. */
const deepJson = fc.integer({ min: 1, max: 3000 }).map((depth) => `{"event":"sms.x","x":${'['.repeat(depth)}1${']'.repeat(depth)}}`);

const pollutingJson = fc.constantFrom(
  '{"__proto__":{"polluted":true},"event":"sms.delivered"}',
  '{"constructor":{"prototype":{"polluted":true}},"event":"sms.x"}',
  '{"event":"sms.x","nested":{"__proto__":{"polluted":true}}}',
  '{"event":"sms.delivered","event":"sms.failed","message_id":"a","message_id":"b"}',
  '{"event":"sms.delivered","message_id":123,"phone":254712345678,"timestamp":1705147200}',
  '{"event":"sms.delivered","message_id":"1","phone":"+254712345678","status":"delivered","timestamp":"1705147200"}',
);

/** Bodies a sender might send: valid payloads with fields replaced, arbitrary JSON, and text. */
const bodies = fc.oneof(
  fc
    .record({ field: fc.constantFrom('event', 'message_id', 'phone', 'status', 'timestamp', 'error', '__proto__'), value: fc.jsonValue() })
    .map(({ field, value }) => JSON.stringify({ ...smsPayload({ message_id: 'adv' }), [field]: value })),
  fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
  fc.string({ maxLength: 500 }),
  fc.string({ unit: 'binary', maxLength: 500 }),
  deepJson,
  pollutingJson,
  fc.string({ minLength: 60_000, maxLength: 70_000 }).map((text) => JSON.stringify({ event: 'sms.x', text })),
);

describe.each<HttpAdapterName>(['express', 'fastify'])('adversarial input on %s', (adapter) => {
  const host = useTestApp(`adversarial ${adapter}`, { adapter });

  async function rowCount(): Promise<number> {
    const counts = await host.app.get(OpenSmsWebhookService).countByState();
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  function expectPrototypeIntact(): void {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }

  it('never answers 5xx and stores nothing when the signature is not valid', async () => {
    const before = await rowCount();
    await fc.assert(
      fc.asyncProperty(
        bodies,
        fc.record(
          {
            id: hostile,
            timestamp: fc.oneof(hostile, fc.integer({ min: -1e12, max: 1e13 }).map(String)),
            signature: hostile,
            contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/vnd.x+json'),
          },
          { requiredKeys: ['contentType'] },
        ),
        async (body, parts) => {
          const headers: Record<string, string> = { 'content-type': parts.contentType };
          const safe = (value: string) => value.replace(/[^\x20-\x7e]/g, '?');
          if (parts.id !== undefined) headers['webhook-id'] = safe(parts.id);
          if (parts.timestamp !== undefined) headers['webhook-timestamp'] = safe(parts.timestamp);
          if (parts.signature !== undefined) headers['webhook-signature'] = safe(parts.signature);
          const response = await postRaw(host.endpoint, body, headers);
          expect([400, 401, 413, 415]).toContain(response.status);
        },
      ),
      { seed: SEED, numRuns: 700 },
    );
    expect(await rowCount()).toBe(before);
    expectPrototypeIntact();
  });

  it('never answers 5xx to a validly signed body, whatever it holds, and stores only what it acknowledges', async () => {
    let acknowledged = 0;
    const before = await rowCount();
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const signed = signWebhook(body, TEST_SECRET);
        const response = await postRaw(host.endpoint, signed.body, signed.headers);
        expect([200, 400, 413]).toContain(response.status);
        if (response.status === 200 && response.body.duplicate === false) acknowledged += 1;
        if (response.status === 400 && typeof response.body.id === 'string') acknowledged += 1;
        expectPrototypeIntact();
      }),
      { seed: SEED, numRuns: 500 },
    );
    expect(await rowCount()).toBe(before + acknowledged);
  });

  it('refuses a valid signature with any one character changed to other bytes', async () => {
    const before = await rowCount();
    const signed = signWebhook(smsPayload({ message_id: 'adv_mutated' }), TEST_SECRET);
    const signature = signed.headers['webhook-signature'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: signature.length - 1 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='),
        async (index, replacement) => {
          const mutated = signature.slice(0, index) + replacement + signature.slice(index + 1);
          // NOTE: the last base64 character carries 2 unused bits; changing only those is the same signature.
          fc.pre(!Buffer.from(mutated.slice(3), 'base64').equals(Buffer.from(signature.slice(3), 'base64')));
          const response = await postRaw(host.endpoint, signed.body, { ...signed.headers, 'webhook-signature': mutated });
          expect(response.status).toBe(401);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    expect(await rowCount()).toBe(before);
  });
});
