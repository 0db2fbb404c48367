import { postSigned, smsPayload, type WebhookResponse } from './webhook-client';

/** The outcome of one delivery attempt. */
export interface Delivery {
  payload: Record<string, unknown>;
  /** HTTP status, or 0 when the connection failed. */
  status: number;
  /** Inbox id from a 200 answer. */
  id?: string;
  duplicate?: boolean;
  /** How long the answer took. */
  elapsedMs: number;
  response?: WebhookResponse;
}

/** Signs and POSTs one payload; a connection failure is an outcome (status 0), not an exception. */
export async function deliver(url: string, payload: Record<string, unknown>): Promise<Delivery> {
  const startedAt = Date.now();
  try {
    const response = await postSigned(url, payload);
    const ok = response.status === 200;
    return {
      payload,
      status: response.status,
      id: ok ? response.body.id : undefined,
      duplicate: ok ? response.body.duplicate : undefined,
      elapsedMs: Date.now() - startedAt,
      response,
    };
  } catch {
    return { payload, status: 0, elapsedMs: Date.now() - startedAt };
  }
}

/** Delivers every payload, at most `concurrency` at a time, in order of start; results keep input order. */
export async function deliverAll(
  url: string,
  payloads: readonly Record<string, unknown>[],
  { concurrency = 16, onDelivery }: { concurrency?: number; onDelivery?: (delivery: Delivery) => void } = {},
): Promise<Delivery[]> {
  const results: Delivery[] = new Array(payloads.length);
  let next = 0;
  const lane = async () => {
    while (next < payloads.length) {
      const index = next++;
      results[index] = await deliver(url, payloads[index]);
      onDelivery?.(results[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, payloads.length) }, lane));
  return results;
}

/** Distinct inbox ids among accepted deliveries. */
export function acceptedIds(deliveries: readonly Delivery[]): string[] {
  return [...new Set(deliveries.filter((delivery) => delivery.status === 200).map((delivery) => delivery.id!))];
}

/**
 * `count` distinct events spread over `messages` message ids, several per message with increasing
 * timestamps and cycling types, as a stream of OpenSMS status updates would look.
 */
export function statusUpdates(label: string, count: number, messages: number): Record<string, unknown>[] {
  const types = ['sms.pending', 'sms.delivered', 'sms.failed'];
  const base = Date.parse('2024-01-13T12:00:00Z');
  return Array.from({ length: count }, (_, index) => {
    const sequence = Math.floor(index / messages);
    return smsPayload({
      event: types[sequence % types.length],
      message_id: `${label}_${index % messages}`,
      timestamp: new Date(base + sequence * 1000).toISOString(),
    });
  });
}
