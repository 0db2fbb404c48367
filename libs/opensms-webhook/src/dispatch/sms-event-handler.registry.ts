import { Injectable } from '@nestjs/common';
import { DuplicateHandlerNameError } from '../errors/duplicate-handler-name.error';
import { KNOWN_SMS_EVENTS } from '../events/sms-event-types';
import type { SmsEvent, SmsEventContext, SmsEventSelector, UnknownSmsEvent } from '../events/sms-events';
import { SmsEventMetadataAccessor } from './sms-event-metadata.accessor';

/** A handler method bound to its instance. `name` identifies its completion marks: keep it stable. */
export interface BoundSmsEventHandler {
  name: string;
  selectors: readonly SmsEventSelector[];
  invoke(event: SmsEvent | UnknownSmsEvent, context: SmsEventContext): Promise<unknown>;
}

/** The `@OnSmsEvent()` handlers of the application, bound once at bootstrap. */
@Injectable()
export class SmsEventHandlerRegistry {
  private readonly handlers: BoundSmsEventHandler[] = [];

  constructor(private readonly accessor: SmsEventMetadataAccessor = new SmsEventMetadataAccessor()) {}

  /** Binds every `@OnSmsEvent()` method of an instance; returns what was bound. */
  bindInstance(instance: object): BoundSmsEventHandler[] {
    return this.accessor.handlerMethodsOf(instance).map(({ methodName, selectors }) => {
      const name = `${instance.constructor.name}.${methodName}`;
      if (this.handlers.some((handler) => handler.name === name)) {
        throw new DuplicateHandlerNameError(name);
      }
      const method = (instance as Record<string, (...args: unknown[]) => unknown>)[methodName];
      const handler: BoundSmsEventHandler = {
        name,
        selectors,
        invoke: async (event, context) => method.call(instance, event, context),
      };
      this.handlers.push(handler);
      return handler;
    });
  }

  /** Handlers of a payload `event` name: its type's handlers and `'*'` ones; only `'*'` for unknown types. */
  handlersFor(eventName: string): BoundSmsEventHandler[] {
    const type = KNOWN_SMS_EVENTS[eventName as keyof typeof KNOWN_SMS_EVENTS] as SmsEventSelector | undefined;
    return this.handlers.filter((handler) => handler.selectors.includes('*') || (type !== undefined && handler.selectors.includes(type)));
  }

  /** Every handler's name (`Class.method`), in the order they were bound. */
  names(): string[] {
    return this.handlers.map((handler) => handler.name);
  }

  /** The payload `event` names the named handlers take; `'every'` when one of them takes `'*'` (every name, unknown ones too). */
  eventNamesOf(names: readonly string[]): string[] | 'every' {
    const selectors = this.handlers.filter((handler) => names.includes(handler.name)).flatMap((handler) => handler.selectors);
    if (selectors.includes('*')) return 'every';
    return Object.entries(KNOWN_SMS_EVENTS)
      .filter(([, type]) => selectors.includes(type))
      .map(([event]) => event);
  }

  get size(): number {
    return this.handlers.length;
  }
}
