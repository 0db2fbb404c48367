import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { findOnPath, isExecutableFile } from './path-lookup';

/** The npm package that ships a headless Chromium for Linux x64 inside its tarball (a devDependency). */
const SHIPPED_CHROMIUM_PACKAGE = '@sparticuz/chromium';
/** Names of the system's Chromium on the PATH. */
const SYSTEM_CHROMIUM_COMMANDS = ['chromium', 'chromium-browser'];

/** The Chromium the browser tests drive, as {@link findChromium} chose it. */
export type ChromiumChoice =
  { source: 'CHROMIUM_PATH' | 'system'; executablePath: string } | { source: 'npm'; packageFolder: string; version: string };

/**
 * Which Chromium the browser tests use, without starting or unpacking anything: `CHROMIUM_PATH`
 * when set (it must exist), else `chromium` / `chromium-browser` on the PATH, else the one
 * `@sparticuz/chromium` ships (Linux x64). A string says what is missing and how to get it.
 */
export function findChromium(environment: NodeJS.ProcessEnv = process.env): ChromiumChoice | string {
  const configured = environment.CHROMIUM_PATH?.trim();
  if (configured) {
    return isExecutableFile(configured)
      ? { source: 'CHROMIUM_PATH', executablePath: configured }
      : `CHROMIUM_PATH (${configured}) is not an executable file: fix it, or unset it to use the system Chromium or ${SHIPPED_CHROMIUM_PACKAGE}.`;
  }
  const system = findOnPath(SYSTEM_CHROMIUM_COMMANDS, environment.PATH ?? '');
  if (system) return { source: 'system', executablePath: system };
  const shipped = shippedChromiumFolder();
  if (shipped && os.platform() === 'linux' && os.arch() === 'x64') {
    return { source: 'npm', packageFolder: shipped, version: readPackageVersion(shipped) };
  }
  return (
    `No Chromium: none on the PATH (${SYSTEM_CHROMIUM_COMMANDS.join(', ')}), and ${SHIPPED_CHROMIUM_PACKAGE} ` +
    `${shipped ? `ships one for Linux x64 only (this is ${os.platform()} ${os.arch()})` : 'is not installed (run npm ci)'}. ` +
    'Install Chromium (apt-get install chromium, brew install --cask chromium) or set CHROMIUM_PATH.'
  );
}

/** One line: which Chromium {@link findChromium} chose. */
export function describeChromium(choice: ChromiumChoice): string {
  if (choice.source === 'npm') return `${SHIPPED_CHROMIUM_PACKAGE} ${choice.version} (no Chromium on the PATH)`;
  return choice.source === 'system' ? choice.executablePath : `${choice.executablePath} (CHROMIUM_PATH)`;
}

/** Starts Chromium headless, as {@link findChromium} chose it. Close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  const choice = findChromium();
  if (typeof choice === 'string') throw new Error(choice);
  if (choice.source !== 'npm') return chromium.launch({ executablePath: choice.executablePath });
  const unpacked = unpackShippedChromium(choice);
  return chromium.launch({
    executablePath: unpacked.executablePath,
    // NOTE: the libraries it ships (NSS, NSPR, expat), so it needs nothing of the system but libc.
    env: { ...process.env, LD_LIBRARY_PATH: unpacked.libraries },
  });
}

interface UnpackedChromium {
  executablePath: string;
  libraries: string;
}

/**
 * The shipped Chromium, unpacked once per version into `node_modules/.cache/` (next to the
 * package, removed with it). Unpacked in a folder of its own, then renamed into place, so that
 * runs sharing node_modules never see half a browser.
 */
function unpackShippedChromium(choice: Extract<ChromiumChoice, { source: 'npm' }>): UnpackedChromium {
  const cache = path.resolve(choice.packageFolder, '..', '..', '.cache');
  const target = path.join(cache, `sparticuz-chromium-${choice.version}`);
  const unpacked = {
    executablePath: path.join(target, 'chromium'),
    libraries: path.join(target, 'lib'),
  };
  if (existsSync(unpacked.executablePath)) return unpacked;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(path.join(cache, 'sparticuz-chromium-unpacking-'));
  try {
    const bin = path.join(choice.packageFolder, 'bin');
    const inflate = (file: string) => brotliDecompressSync(readFileSync(path.join(bin, file)));
    const untar = (file: string) => {
      const result = spawnSync('tar', ['-x', '--no-same-owner', '-C', work], { input: inflate(file), stdio: ['pipe', 'ignore', 'pipe'] });
      if (result.status !== 0) throw new Error(`Unpacking ${file} of ${SHIPPED_CHROMIUM_PACKAGE} failed: ${result.stderr}`);
    };
    untar('al2023.tar.br');
    untar('swiftshader.tar.br');
    const executable = path.join(work, 'chromium');
    writeFileSync(executable, inflate('chromium.br'), { mode: 0o755 });
    chmodSync(work, 0o755);
    try {
      renameSync(work, target);
    } catch (error) {
      if (!existsSync(unpacked.executablePath)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return unpacked;
}

function shippedChromiumFolder(): string | undefined {
  try {
    // NOTE: the package exports only its entry (build/cjs/index.cjs), two folders below its root.
    return path.resolve(path.dirname(require.resolve(SHIPPED_CHROMIUM_PACKAGE)), '..', '..');
  } catch {
    return undefined;
  }
}

function readPackageVersion(folder: string): string {
  return (JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { version: string }).version;
}
