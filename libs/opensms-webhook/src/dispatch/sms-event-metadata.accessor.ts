import { Injectable } from '@nestjs/common';
import { MetadataScanner, Reflector } from '@nestjs/core';
import type { OnSmsEventMetadata } from '../decorators/on-sms-event.decorator';
import type { SmsEventSelector } from '../events/sms-events';
import { ON_SMS_EVENT_METADATA } from '../opensms-webhook.constants';

/** A method decorated with `@OnSmsEvent()`. */
export interface SmsEventHandlerMethod {
  methodName: string;
  selectors: SmsEventSelector[];
}

/** Reads `@OnSmsEvent()` metadata: the one place that knows how it is stored. */
@Injectable()
export class SmsEventMetadataAccessor {
  private readonly scanner = new MetadataScanner();
  private readonly reflector = new Reflector();

  /** Every selector a method was decorated with, or `undefined` when it is no handler. */
  getSelectors(method: unknown): SmsEventSelector[] | undefined {
    if (typeof method !== 'function') return undefined;
    const metadata = this.reflector.get<OnSmsEventMetadata[] | undefined>(ON_SMS_EVENT_METADATA, method);
    return metadata ? [...new Set(metadata.flatMap((entry) => entry.types))] : undefined;
  }

  /** The handler methods of an instance, own and inherited. */
  handlerMethodsOf(instance: object): SmsEventHandlerMethod[] {
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    return this.scanner.getAllMethodNames(prototype).flatMap((methodName) => {
      const selectors = this.getSelectors(prototype[methodName]);
      return selectors ? [{ methodName, selectors }] : [];
    });
  }
}
