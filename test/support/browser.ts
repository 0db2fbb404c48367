import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where the system's Chromium is (`CHROMIUM_PATH`, else the usual Debian and Ubuntu paths). */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
  if (!found) throw new Error('No Chromium found: install it with "apt-get install chromium" or set CHROMIUM_PATH');
  return found;
}

/** Starts the system Chromium, headless. Close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath() });
}
