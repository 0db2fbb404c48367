import type { EntityManager } from 'typeorm';
import { SmsEventHandlerRegistry } from '../dispatch/sms-event-handler.registry';
import { eventSourceOf, type OpenSmsPayloadFields, toSmsEvent, type SmsEventContext } from '../events/sms-events';

/** A payload as OpenSMS sends it (`timestamp` as an ISO-8601 string). */
export interface SmsEventPayload extends OpenSmsPayloadFields {
  [field: string]: unknown;
}

/**
 * Runs the `@OnSmsEvent()` methods of the given handler instances on one payload, synchronously
 * and in declaration order, with no queue, inbox or transaction: for unit tests of host handlers.
 * Handler errors propagate. Returns the names of the handlers that ran.
 *
 * ```ts
 * await dispatchToHandlers([new DeliveryStatusHandler()], { event: 'sms.failed', ... }, { manager });
 * ```
 */
export async function dispatchToHandlers(
  handlers: readonly object[],
  payload: SmsEventPayload,
  context: Partial<SmsEventContext> & { manager: EntityManager },
): Promise<string[]> {
  const registry = new SmsEventHandlerRegistry();
  handlers.forEach((instance) => registry.bindInstance(instance));
  const event = toSmsEvent(eventSourceOf(payload, payload));
  const fullContext: SmsEventContext = {
    eventId: 'test-event',
    attempt: 1,
    stale: false,
    receivedAt: new Date(),
    tenant: null,
    reprocessed: false,
    ...context,
  };
  const matching = registry.handlersFor(payload.event);
  for (const handler of matching) await handler.invoke(event, fullContext);
  return matching.map((handler) => handler.name);
}
