import { Module } from '@nestjs/common';
import { ConfigurableOpenSmsWebhookConsoleModule } from './opensms-webhook-console.module-definition';

/**
 * The inbox console: web pages to find, inspect and replay events, and to pause processing, served
 * under `path` (default `/opensms`) next to `OpenSmsWebhookModule`. It never starts without an
 * access check.
 *
 * ```ts
 * OpenSmsWebhookConsoleModule.register({ authorize: (request) => userOf(request) ?? false })
 * OpenSmsWebhookConsoleModule.register({ path: 'admin/sms', guards: [AdminGuard] })
 * OpenSmsWebhookConsoleModule.registerAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ authorize: tokenCheck(config.getOrThrow('CONSOLE_TOKEN')) }),
 * })
 * ```
 */
@Module({})
export class OpenSmsWebhookConsoleModule extends ConfigurableOpenSmsWebhookConsoleModule {}
