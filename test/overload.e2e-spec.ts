import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { useTestApp, waitFor } from './support/test-app';
import { connectToSchema } from './support/test-database';
import { postSigned, smsPayload, type WebhookResponse } from './support/webhook-client';

/** Batches the ingest micro-batcher sends at once; while they all wait, each holds the one call it was sent with. */
const BATCHES_IN_FLIGHT = 4;
const LIMIT = 3;

describe('ingest over its bound: 503 + Retry-After at once, every 200 stored and processed', () => {
  const host = useTestApp('overload', {
    providers: [RecordingConsumer],
    options: { ingest: { maxPendingCalls: LIMIT, storeTimeoutMs: 60_000, retryAfterSeconds: 7 } },
  });
  let db: DataSource;
  let blocker: QueryRunner;

  beforeAll(async () => {
    db = await connectToSchema(host.schema);
  });

  afterAll(async () => {
    if (blocker?.isTransactionActive) await blocker.rollbackTransaction();
    await blocker?.release();
    await db?.destroy();
  });

  it('refuses the calls beyond the limit while the inbox is slow, and accepts again once it is not', async () => {
    // Inserts wait behind this lock: calls pile up in the micro-batcher.
    blocker = db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE "opensms_webhook_events" IN EXCLUSIVE MODE');

    const answered: WebhookResponse[] = [];
    const total = BATCHES_IN_FLIGHT + LIMIT + 5;
    const calls = Array.from({ length: total }, (_, index) =>
      postSigned(host.endpoint, smsPayload({ message_id: `msg_overload_${index}` })).then((response) => {
        answered.push(response);
        return response;
      }),
    );
    await waitFor('the refused calls answered', () => answered.length === total - BATCHES_IN_FLIGHT - LIMIT);
    expect(answered.map((response) => response.status)).toEqual(answered.map(() => 503));
    expect(answered.map((response) => response.headers.get('retry-after'))).toEqual(answered.map(() => '7'));

    await blocker.commitTransaction();
    const responses = await Promise.all(calls);

    const accepted = responses.filter((response) => response.status === 200);
    expect(accepted).toHaveLength(BATCHES_IN_FLIGHT + LIMIT);
    const service = host.app.get(OpenSmsWebhookService);
    const ids = accepted.map((response) => response.body.id as string);
    await waitFor('every accepted event processed', async () =>
      (await Promise.all(ids.map((id) => service.findById(id)))).every((row) => row?.state === 'processed'),
    );
    const [{ count }]: { count: number }[] = await db.query('SELECT count(*)::int AS "count" FROM "opensms_webhook_events"');
    expect(count).toBe(BATCHES_IN_FLIGHT + LIMIT);

    const after = await postSigned(host.endpoint, smsPayload({ message_id: 'msg_overload_after' }));
    expect(after.status).toBe(200);
  });
});
