import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** The first of `commands` found as an executable file in the folders of `searchPath` (a PATH). */
export function findOnPath(commands: readonly string[], searchPath = process.env.PATH ?? ''): string | undefined {
  const folders = searchPath.split(path.delimiter).filter(Boolean);
  for (const command of commands) {
    const found = folders.map((folder) => path.join(folder, command)).find(isExecutableFile);
    if (found) return found;
  }
  return undefined;
}

/** Whether `file` is a file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
