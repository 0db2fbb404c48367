import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { ConsoleAccessGuard } from './console-access.guard';
import { ConsoleAccessRefusals } from './console-access.refusals';
import { ConsoleCsrfGuard } from './console-csrf.guard';
import { ConsoleCsrfTokens } from './console-csrf.tokens';
import { ConsoleInboxService } from './console-inbox.service';
import { OPENSMS_CONSOLE_OPTIONS } from './console.constants';
import { createConsoleController } from './console.controller';
import type { OpenSmsWebhookConsoleExtras, OpenSmsWebhookConsoleOptions } from './opensms-webhook-console-options.interface';
import { consolePath, DEFAULT_CONSOLE_EXTRAS, resolveConsoleOptions } from './opensms-webhook-console.options';

export const { ConfigurableModuleClass: ConfigurableOpenSmsWebhookConsoleModule, MODULE_OPTIONS_TOKEN: OPENSMS_CONSOLE_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<OpenSmsWebhookConsoleOptions>({ moduleName: 'OpenSmsWebhookConsole' })
    .setClassMethodName('register')
    .setExtras<OpenSmsWebhookConsoleExtras>(DEFAULT_CONSOLE_EXTRAS, assembleConsoleModule)
    .build();

/** Adds the controller for the configured route and guards, and checks the options at start-up. */
function assembleConsoleModule(definition: DynamicModule, extras: OpenSmsWebhookConsoleExtras): DynamicModule {
  const guards = extras.guards ?? [];
  return {
    ...definition,
    controllers: [createConsoleController(consolePath(extras.path ?? DEFAULT_CONSOLE_EXTRAS.path), guards)],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: OPENSMS_CONSOLE_OPTIONS,
        useFactory: (options: OpenSmsWebhookConsoleOptions) => resolveConsoleOptions(options, { guards }),
        inject: [OPENSMS_CONSOLE_MODULE_OPTIONS],
      },
      ConsoleInboxService,
      ConsoleAccessRefusals,
      ConsoleAccessGuard,
      ConsoleCsrfTokens,
      ConsoleCsrfGuard,
    ],
  };
}
