import { ON_SMS_EVENT_METADATA } from '../opensms-webhook.constants';
import type { SmsEventContext, SmsEventMap, SmsEventSelector } from '../events/sms-events';

/** What `@OnSmsEvent()` records on a method (one entry per decorator use). */
export interface OnSmsEventMetadata {
  types: readonly SmsEventSelector[];
}

/** Signature a handler of the given selectors must accept. */
export type SmsEventHandler<K extends SmsEventSelector> = (event: SmsEventMap[K], context: SmsEventContext) => unknown;

/**
 * Marks a provider or controller method as a handler of SMS events, run by the worker inside the
 * transaction of the event's batch, in a savepoint of its own (`ctx.manager`): `@OnSmsEvent('failed')`, `@OnSmsEvent('delivered', 'pending')`, or
 * `@OnSmsEvent('*')` for every event, including types this version does not know.
 *
 * The method's first parameter must accept the event of the named types: `@OnSmsEvent('failed')`
 * on a method taking `SmsDeliveredEvent` does not compile.
 */
export function OnSmsEvent<K extends SmsEventSelector>(...types: [K, ...K[]]) {
  // NOTE: generic over the method's own type, so `async` methods (returning a Promise) fit too.
  return <Method extends SmsEventHandler<K>>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<Method>,
  ): TypedPropertyDescriptor<Method> => {
    const handler = descriptor.value as object;
    const previous: OnSmsEventMetadata[] = Reflect.getOwnMetadata(ON_SMS_EVENT_METADATA, handler) ?? [];
    Reflect.defineMetadata(ON_SMS_EVENT_METADATA, [...previous, { types }], handler);
    return descriptor;
  };
}
