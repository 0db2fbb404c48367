import { stopTestServers } from './global-setup';

/** After every spec: stops what global-setup.ts started. */
export default async function globalTeardown(): Promise<void> {
  await stopTestServers();
}
