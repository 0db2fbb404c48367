import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { RequestScopedHandlerError } from '../errors/request-scoped-handler.error';
import { messages } from '../opensms-webhook.messages';
import { SmsEventMetadataAccessor } from './sms-event-metadata.accessor';
import { SmsEventHandlerRegistry } from './sms-event-handler.registry';

/**
 * Finds `@OnSmsEvent()` methods on every provider and controller at bootstrap and binds each once.
 * Aliases (`useExisting`) are skipped; handlers in request-scoped providers are refused, since
 * events are handled outside any request.
 */
@Injectable()
export class SmsEventExplorer implements OnModuleInit {
  private readonly logger = new Logger('OpenSmsWebhook');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: SmsEventMetadataAccessor,
    private readonly registry: SmsEventHandlerRegistry,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (wrapper.isAlias || !instance || typeof instance !== 'object') continue;
      if (!wrapper.isDependencyTreeStatic()) {
        this.rejectIfHandler(instance, wrapper.name);
        continue;
      }
      for (const handler of this.registry.bindInstance(instance)) {
        this.logger.log(messages.handlerBound(handler.name, handler.selectors));
      }
    }
    if (this.registry.size === 0) this.logger.warn(messages.noHandlers());
  }

  private rejectIfHandler(instance: object, name: string): void {
    const [handler] = this.accessor.handlerMethodsOf(instance);
    if (handler) throw new RequestScopedHandlerError(`${name}.${handler.methodName}`);
  }
}
