import path from 'node:path';
import { Logger } from '@nestjs/common';
import { createExampleApp } from './app.factory';
import { resolveDevServers } from './dev-database/dev-servers.resolver';

/** Where `npm start` keeps its embedded PostgreSQL unless `OPENSMS_EMBEDDED_DIR` says otherwise (git-ignored). */
const EMBEDDED_FOLDER = '.dev-database';

async function bootstrap(): Promise<void> {
  const servers = await resolveDevServers({
    environment: process.env,
    argv: process.argv.slice(2),
    embeddedFolder: { temporary: false, path: path.resolve(process.env.OPENSMS_EMBEDDED_DIR || EMBEDDED_FOLDER) },
  });
  Logger.log(servers.summary, 'ExampleApp');
  if (servers.embedded) {
    Logger.warn(
      'The embedded PostgreSQL is a development default: set DATABASE_URL (and REDIS_URL) to use servers of your own.',
      'ExampleApp',
    );
  }
  try {
    const { app, config } = await createExampleApp({ environment: servers.environment, shutdownHooks: false });
    // NOTE: on a signal the app closes first (in-flight events finish), then the database it used stops.
    const stop = async (signal: NodeJS.Signals) => {
      await app.close();
      await servers.stop();
      process.kill(process.pid, signal);
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
    await app.listen(config.PORT, '0.0.0.0');
    Logger.log(`Listening on ${await app.getUrl()}; OpenSMS webhooks at POST /webhooks/sms`, 'ExampleApp');
  } catch (error) {
    await servers.stop();
    throw error;
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
