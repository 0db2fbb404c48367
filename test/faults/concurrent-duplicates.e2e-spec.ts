import { deliver } from '../support/delivery';
import { useFaultScope } from '../support/fault-scope';
import { waitFor } from '../support/test-app';
import { smsPayload } from '../support/webhook-client';

describe('faults: one event delivered 50 times at once to two app instances', () => {
  const scope = useFaultScope('concurrent_duplicates');

  it('every answer is 200 with one inbox id; one row, and one effect per handler', async () => {
    const first = await scope.start();
    const second = await scope.start();
    const rounds = ['dup_a', 'dup_b', 'dup_c'];

    for (const messageId of rounds) {
      const payload = smsPayload({ message_id: messageId });
      const deliveries = await Promise.all(
        Array.from({ length: 50 }, (_, index) => deliver((index % 2 === 0 ? first : second).webhookUrl, payload)),
      );

      expect(deliveries.map((delivery) => delivery.status)).toEqual(deliveries.map(() => 200));
      expect(new Set(deliveries.map((delivery) => delivery.id)).size).toBe(1);
      expect(deliveries.filter((delivery) => delivery.duplicate === false)).toHaveLength(1);
    }

    expect(await scope.inspector.countEvents()).toBe(rounds.length);
    await waitFor('the events processed', async () => (await scope.inspector.countInState('processed')) === rounds.length);
    const ids = (await scope.inspector.eventIds()).sort();
    expect(ids).toHaveLength(rounds.length);
    expect(await scope.inspector.tallyEffects(ids)).toEqual({ exactlyOnce: rounds.length, missing: [], duplicated: [], unexpected: [] });
  });
});
