import { Controller, Injectable, type ModuleMetadata, Scope } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { OnSmsEvent } from '../decorators/on-sms-event.decorator';
import { RequestScopedHandlerError } from '../errors/request-scoped-handler.error';
import {
  SmsDeliveredEvent,
  type SmsEvent,
  type SmsEventContext,
  type SmsFailedEvent,
  type SmsPendingEvent,
  type UnknownSmsEvent,
} from '../events/sms-events';
import { SmsEventExplorer } from './sms-event.explorer';
import { SmsEventHandlerRegistry } from './sms-event-handler.registry';
import { SmsEventMetadataAccessor } from './sms-event-metadata.accessor';

@Injectable()
class DeliveryHandlers {
  readonly seen: string[] = [];

  @OnSmsEvent('delivered')
  onDelivered(event: SmsDeliveredEvent): void {
    this.seen.push(`delivered:${event.messageId}`);
  }

  @OnSmsEvent('failed')
  @OnSmsEvent('pending', 'failed')
  onNotYetDelivered(event: SmsFailedEvent | SmsPendingEvent): void {
    this.seen.push(`not-yet:${event.type}`);
  }

  notAHandler(): void {}
}

@Controller('status')
class StatusController {
  @OnSmsEvent('failed')
  async onFailed(_event: SmsFailedEvent, _ctx: SmsEventContext): Promise<void> {}
}

@Injectable()
class EverythingHandler {
  @OnSmsEvent('*')
  onAny(_event: SmsEvent | UnknownSmsEvent): void {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedHandler {
  @OnSmsEvent('delivered')
  onDelivered(_event: SmsDeliveredEvent): void {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedService {
  lookUp(): string {
    return 'no handlers here';
  }
}

const LIBRARY_PROVIDERS = [SmsEventMetadataAccessor, SmsEventHandlerRegistry, SmsEventExplorer];

/** Compiles and initialises a module holding the explorer and the given host parts; returns its registry. */
async function bootstrap(host: Pick<ModuleMetadata, 'providers' | 'controllers'>) {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [...LIBRARY_PROVIDERS, ...(host.providers ?? [])],
    controllers: host.controllers ?? [],
  })
    .setLogger({ log() {}, warn() {}, error() {} })
    .compile();
  await moduleRef.init();
  return { moduleRef, registry: moduleRef.get(SmsEventHandlerRegistry) };
}

const names = (registry: SmsEventHandlerRegistry, event: string) =>
  registry
    .handlersFor(event)
    .map((handler) => handler.name)
    .sort();

describe('SmsEventExplorer with SmsEventHandlerRegistry', () => {
  it('binds handlers of providers and controllers, each once even when a provider has an alias', async () => {
    const { moduleRef, registry } = await bootstrap({
      providers: [DeliveryHandlers, { provide: 'DELIVERY_ALIAS', useExisting: DeliveryHandlers }, RequestScopedService],
      controllers: [StatusController],
    });

    expect(registry.size).toBe(3);
    expect(names(registry, 'sms.delivered')).toEqual(['DeliveryHandlers.onDelivered']);
    expect(names(registry, 'sms.failed')).toEqual(['DeliveryHandlers.onNotYetDelivered', 'StatusController.onFailed']);
    await moduleRef.close();
  });

  it('merges several decorators and several types per decorator on one method', async () => {
    const { moduleRef, registry } = await bootstrap({ providers: [DeliveryHandlers] });

    const [handler] = registry.handlersFor('sms.pending');
    expect(handler.name).toBe('DeliveryHandlers.onNotYetDelivered');
    expect([...handler.selectors].sort()).toEqual(['failed', 'pending']);
    expect(names(registry, 'sms.failed')).toEqual(['DeliveryHandlers.onNotYetDelivered']);
    await moduleRef.close();
  });

  it("gives '*' handlers every event, and alone the types this version does not know", async () => {
    const { moduleRef, registry } = await bootstrap({ providers: [DeliveryHandlers, EverythingHandler] });

    expect(names(registry, 'sms.delivered')).toEqual(['DeliveryHandlers.onDelivered', 'EverythingHandler.onAny']);
    expect(names(registry, 'whatsapp.read')).toEqual(['EverythingHandler.onAny']);
    await moduleRef.close();
  });

  it('invokes a bound handler on its own instance', async () => {
    const { moduleRef, registry } = await bootstrap({ providers: [DeliveryHandlers] });
    const event = new SmsDeliveredEvent('msg_1', '+254712345678', 'delivered', new Date(), {});

    await registry.handlersFor('sms.delivered')[0].invoke(event, {} as SmsEventContext);
    expect(moduleRef.get(DeliveryHandlers).seen).toEqual(['delivered:msg_1']);
    await moduleRef.close();
  });

  it('refuses at bootstrap a handler in a request-scoped provider, saying how to fix it', async () => {
    const failure = bootstrap({ providers: [RequestScopedHandler] });

    await expect(failure).rejects.toThrow(RequestScopedHandlerError);
    await expect(failure).rejects.toThrow(/RequestScopedHandler\.onDelivered.*make the provider a singleton/s);
  });

  it('refuses two handlers with one name, since the name records completion', () => {
    const registry = new SmsEventHandlerRegistry();
    registry.bindInstance(new DeliveryHandlers());

    expect(() => registry.bindInstance(new DeliveryHandlers())).toThrow(/DeliveryHandlers\.onDelivered.*unique/s);
  });
});
