import path from 'node:path';
import { Logger } from '@nestjs/common';
import { createExampleApp } from './app.factory';
import { SHUTDOWN_GRACE_MS } from './config/opensms-webhook.config';
import { resolveDevServers } from './dev-database/dev-servers.resolver';

/** Where `npm start` keeps its embedded PostgreSQL unless `OPENSMS_EMBEDDED_DIR` says otherwise (git-ignored). */
const EMBEDDED_FOLDER = '.dev-database';
/**
 * On a signal, the app closes within `worker.shutdownGraceMs` and about 2 s more, whatever its servers do (the
 * library cuts what does not close); past this margin the close is abandoned and the process exits with code 1.
 */
const SHUTDOWN_MARGIN_MS = 4000;

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
      const deadlineMs = SHUTDOWN_GRACE_MS + SHUTDOWN_MARGIN_MS;
      const deadline = setTimeout(() => {
        Logger.error(`The app did not close within ${deadlineMs} ms of ${signal}: exiting with code 1`, 'ExampleApp');
        void servers.stop().finally(() => process.exit(1));
      }, deadlineMs);
      await app.close();
      clearTimeout(deadline);
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
