import { Logger } from '@nestjs/common';
import { createExampleApp } from './app.factory';

async function bootstrap(): Promise<void> {
  const { app, config } = await createExampleApp();
  await app.listen(config.PORT, '0.0.0.0');
  Logger.log(`Listening on ${await app.getUrl()}; OpenSMS webhooks at POST /webhooks/sms`, 'ExampleApp');
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
