import { testServers } from './global-setup';

/** After every spec: stops what global-setup.ts started. */
export default async function globalTeardown(): Promise<void> {
  await testServers.redis?.stop();
  await testServers.postgres?.stop();
}
