import type { INestApplication } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { DataSource } from 'typeorm';
import { type HttpAdapterName, TEST_SECRET, useTestApp, waitFor } from './support/test-app';
import { TEST_DATABASE_URL } from './support/test-database';
import { postRaw, postSigned, smsPayload, type WebhookResponse } from './support/webhook-client';
import { LogCapture } from './support/log-capture';

const adapters: HttpAdapterName[] = ['express', 'fastify'];

let serial = 0;
function freshPayload(fields: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return smsPayload({ message_id: `msg_storable_${serial}`, ...fields });
}

async function rowsOf(app: INestApplication, state: 'invalid' | 'received' | 'processed'): Promise<number> {
  return (await app.get(OpenSmsWebhookService).countByState())[state] ?? 0;
}

/** Collects every log line of an app. */
function expectInvalid(response: WebhookResponse, problem: RegExp): void {
  expect(response.status).toBe(400);
  expect(response.body).toMatchObject({
    statusCode: 400,
    problems: expect.arrayContaining([expect.stringMatching(problem)]),
    id: expect.any(String),
  });
}

describe.each(adapters)('signed calls that cannot be stored get a final 400 on %s', (adapter) => {
  const logs = new LogCapture();
  const host = useTestApp(`storable ${adapter}`, { adapter, logger: logs });

  it.each([
    ['an ISO week date', '2026-W02-1'],
    ['an ordinal date', '2026-013'],
    ['the compact form', '20260113T120000Z'],
  ])('400 + invalid, never 503: a timestamp in %s (%s)', async (_case, timestamp) => {
    const response = await postSigned(host.endpoint, freshPayload({ timestamp }));
    expectInvalid(response, /timestamp/);
    expect(await host.app.get(OpenSmsWebhookService).findById(response.body.id)).toMatchObject({ state: 'invalid' });
  });

  it('400 + invalid, never 503: a lone UTF-16 surrogate escape, kept with U+FFFD in its place', async () => {
    const payload = freshPayload({ event: 'sms.failed' });
    const body = JSON.stringify(payload).replace('"Invalid phone number"', '"broken \\ud800 text"');
    const signed = signWebhook(body, TEST_SECRET);
    const response = await postRaw(host.endpoint, signed.body, signed.headers);

    expectInvalid(response, /surrogate/);
    const row = await host.app.get(OpenSmsWebhookService).findById(response.body.id);
    expect(row).toMatchObject({ state: 'invalid', payload: { error: 'broken \ufffd text' } });
  });

  it('400 + invalid: an event name outside the safe character set', async () => {
    const response = await postSigned(host.endpoint, freshPayload({ event: 'sms.delivered\n[Nest] forged' }));
    expectInvalid(response, /event/);
  });

  it('an invalid call delivered again with the same webhook-id is stored once', async () => {
    const signed = signWebhook(freshPayload({ phone: 'not-a-phone' }), TEST_SECRET);
    const before = await rowsOf(host.app, 'invalid');
    const first = await postRaw(host.endpoint, signed.body, signed.headers);
    const again = await postRaw(host.endpoint, signed.body, signed.headers);

    expectInvalid(first, /phone/);
    expectInvalid(again, /phone/);
    expect(again.body.id).toBe(first.body.id);
    expect(await rowsOf(host.app, 'invalid')).toBe(before + 1);
  });

  it('log lines escape control characters of payload values', async () => {
    const messageId = `msg_log_${serial++}\n[Nest] 1 - FORGED LOG LINE\u001b[31m`;
    const response = await postSigned(host.endpoint, freshPayload({ message_id: messageId }));
    expect(response.status).toBe(200);

    await waitFor('the received line', () => logs.lines.some((line) => line.includes(response.body.id)));
    const lines = logs.lines.filter((line) => line.includes('FORGED'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toMatch(/[\n\r\u001b]/);
      expect(line).toContain('\\n[Nest] 1 - FORGED LOG LINE\\x1b[31m');
    }
  });
});

describe.each(adapters)('a custom dedupeKey that fails on %s', (adapter) => {
  const host = useTestApp(`dedupekey ${adapter}`, {
    adapter,
    options: {
      ingest: {
        dedupeKey: (payload) => {
          if (payload.message_id === 'empty-key') return '';
          if (payload.message_id === 'throwing-key') throw new Error('no key for this one');
          return String(payload.message_id);
        },
      },
    },
  });

  it.each(['empty-key', 'throwing-key'])(
    '%s: 400 + invalid naming dedupeKey, stored once however often it is retried',
    async (messageId) => {
      const signed = signWebhook(freshPayload({ message_id: messageId }), TEST_SECRET);
      const before = await rowsOf(host.app, 'invalid');
      const responses = [
        await postRaw(host.endpoint, signed.body, signed.headers),
        await postRaw(host.endpoint, signed.body, signed.headers),
      ];

      for (const response of responses) expectInvalid(response, /dedupeKey/);
      expect(responses[1].body.id).toBe(responses[0].body.id);
      expect(await rowsOf(host.app, 'invalid')).toBe(before + 1);
      expect(await rowsOf(host.app, 'received')).toBe(0);
    },
  );
});

describe.each(adapters)('the stripe scheme on %s', (adapter) => {
  const host = useTestApp(`stripe invalid ${adapter}`, { adapter, options: { ingest: { signatureScheme: 'stripe' } } });

  it('an invalid call delivered again (same body, new signature time) is stored once', async () => {
    const payload = freshPayload({ status: 'lost' });
    const before = await rowsOf(host.app, 'invalid');
    const first = await postSigned(host.endpoint, payload, { scheme: 'stripe' });
    const again = await postSigned(host.endpoint, payload, { scheme: 'stripe', timestamp: Math.floor(Date.now() / 1000) - 5 });

    expectInvalid(first, /status/);
    expect(again.body.id).toBe(first.body.id);
    expect(await rowsOf(host.app, 'invalid')).toBe(before + 1);
  });
});

describe.each(adapters)('an insert batch with one row PostgreSQL refuses, on %s', (adapter) => {
  const host = useTestApp(`poison batch ${adapter}`, { adapter, options: { ingest: { storeTimeoutMs: 15_000 } } });
  let direct: DataSource;

  beforeAll(async () => {
    direct = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL });
    await direct.initialize();
    // NOTE: a trigger stands for any row the database refuses; "slow" rows wait on a lock the test
    // holds, so that every insert slot is busy and the calls sent meanwhile go out as one batch.
    await direct.query(`
      CREATE FUNCTION "${host.schema}".refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.dedupe_key IS NOT NULL AND NEW.message_id LIKE 'poison%' THEN
          RAISE EXCEPTION 'refused by a check' USING ERRCODE = '22023';
        END IF;
        IF NEW.dedupe_key IS NOT NULL AND NEW.message_id LIKE 'slow%' THEN
          PERFORM pg_advisory_xact_lock_shared(424242);
        END IF;
        RETURN NEW;
      END $$`);
    await direct.query(
      `CREATE TRIGGER refuse_poison BEFORE INSERT ON "${host.schema}"."opensms_webhook_events" FOR EACH ROW EXECUTE FUNCTION "${host.schema}".refuse_poison()`,
    );
  });

  afterAll(async () => {
    await direct?.destroy();
  });

  it('only the refused call gets its final 400 (kept as invalid); the others of its batch get 200', async () => {
    const lock = direct.createQueryRunner();
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(424242)');
    let released = false;
    try {
      const slow = Array.from({ length: 4 }, () => postSigned(host.endpoint, freshPayload({ message_id: `slow_${serial++}` })));
      await waitFor('four inserts waiting on the lock', async () => {
        const [row] = await direct.query(
          `SELECT count(*)::int AS "count" FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242 AND NOT granted`,
        );
        return row.count >= 4;
      });
      const good = Array.from({ length: 5 }, () => postSigned(host.endpoint, freshPayload()));
      const poison = postSigned(host.endpoint, freshPayload({ message_id: `poison_${serial++}` }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await lock.query('SELECT pg_advisory_unlock(424242)');
      released = true;

      const [slowResponses, goodResponses, poisonResponse] = await Promise.all([Promise.all(slow), Promise.all(good), poison]);
      expect([...slowResponses, ...goodResponses].map((response) => response.status)).toEqual(Array(9).fill(200));
      expectInvalid(poisonResponse, /refused by a check/);
      expect(await host.app.get(OpenSmsWebhookService).findById(poisonResponse.body.id)).toMatchObject({ state: 'invalid' });
    } finally {
      if (!released) await lock.query('SELECT pg_advisory_unlock(424242)');
      await lock.release();
    }
  });
});
