import { RecordingConsumer } from '../fixtures/recording.consumer';
import { useTestApp, waitFor } from '../support/test-app';
import { connectToSchema } from '../support/test-database';
import { postSigned, smsPayload } from '../support/webhook-client';
import type { DataSource } from 'typeorm';

const EVENTS = 15;
const MAX_PER_SECOND = 5;

describe('worker.limiter', () => {
  const host = useTestApp('rate_limit', {
    providers: [RecordingConsumer],
    options: { worker: { limiter: { max: MAX_PER_SECOND, duration: 1000 } } },
  });
  let database: DataSource;

  beforeAll(async () => {
    database = await connectToSchema(host.schema);
  });
  afterAll(() => database?.destroy());

  it('answers every call at once and drains the backlog at the configured pace', async () => {
    const responses = await Promise.all(
      Array.from({ length: EVENTS }, (_, n) =>
        postSigned(host.endpoint, smsPayload({ event: 'sms.delivered', message_id: `msg_rate_${n}` })),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(EVENTS).fill(200));

    const counts = async () =>
      (
        await database.query(
          `SELECT count(*)::int AS "processed",
                  extract(epoch FROM max("received_at") - min("received_at")) * 1000 AS "receivedSpreadMs",
                  extract(epoch FROM max("processed_at") - min("processed_at")) * 1000 AS "processedSpreadMs"
             FROM opensms_webhook_event_states WHERE "state" = 'processed'`,
        )
      )[0] as { processed: number; receivedSpreadMs: number; processedSpreadMs: number };
    await waitFor('every event to be processed', async () => (await counts()).processed === EVENTS);

    const { receivedSpreadMs, processedSpreadMs } = await counts();
    // Stored together (ingest is not limited) ...
    expect(Number(receivedSpreadMs)).toBeLessThan(1000);
    // ... processed in three windows of five: at least two full seconds between the first and the last.
    expect(Number(processedSpreadMs)).toBeGreaterThanOrEqual(1500);
    expect(host.app.get(RecordingConsumer).calls.filter((call) => call.handler === 'delivered')).toHaveLength(EVENTS);
  });
});
