import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, type QueueBackendName, type RawEnvironment } from '../config/app.config';
import { EmbeddedPostgresServer, removeAbandonedFolders } from './embedded-postgres.server';
import { ConflictingDevDatabaseSettingsError } from './errors/conflicting-dev-database-settings.error';
import { ServerNotAnsweringError } from './errors/server-not-answering.error';
import { probePostgres, probeRedis, redactUrl } from './server.probe';

/** Command-line flag that forces the embedded PostgreSQL and its queue backend (no Redis at all). */
export const EMBEDDED_FLAG = '--embedded';
/** Temporary folders of embedded databases start with this name (in the system's temporary folder). */
export const TEMPORARY_FOLDER_PREFIX = 'opensms-embedded-postgres-';

/** Where an embedded PostgreSQL keeps its data. */
export type EmbeddedFolder = { temporary: true } | { temporary: false; path: string };

/** What {@link resolveDevServers} decides from. */
export interface DevServersRequest {
  /** The process environment: `DATABASE_URL`, `REDIS_URL`, `OPENSMS_QUEUE_BACKEND`, `OPENSMS_EMBEDDED`. */
  environment: RawEnvironment;
  /** Command-line arguments; `--embedded` forces the embedded PostgreSQL. */
  argv: readonly string[];
  /** Folder of an embedded PostgreSQL, should one be started. */
  embeddedFolder: EmbeddedFolder;
}

/** The servers chosen, ready to use. */
export interface DevServers {
  /** The environment with `DATABASE_URL` and `OPENSMS_QUEUE_BACKEND` set as chosen. */
  environment: RawEnvironment;
  /** One line: what was chosen and why. */
  summary: string;
  /** The embedded PostgreSQL, when one was started. */
  embedded?: EmbeddedPostgresServer;
  /** Stops what was started here (nothing when every server was the user's). */
  stop(): Promise<void>;
}

/**
 * Chooses the PostgreSQL and the queue backend of a development run. An explicit setting always
 * wins: `DATABASE_URL` or `REDIS_URL` set but not answering is an error naming it. With nothing
 * set, a server answering on its default port is used; else an embedded PostgreSQL is started and,
 * with no Redis answering either, the queue runs on BullMQ's PostgreSQL backend.
 */
export async function resolveDevServers(request: DevServersRequest): Promise<DevServers> {
  const environment = request.environment;
  const explicit = (name: string) => environment[name]?.trim() || undefined;
  const forced = request.argv.includes(EMBEDDED_FLAG) || ['1', 'true'].includes(explicit('OPENSMS_EMBEDDED') ?? '');
  const requestedBackend = explicit('OPENSMS_QUEUE_BACKEND') as QueueBackendName | undefined;

  if (forced) {
    const conflicts = ['DATABASE_URL', 'REDIS_URL'].filter((name) => explicit(name));
    if (requestedBackend === 'redis') conflicts.push('OPENSMS_QUEUE_BACKEND=redis');
    if (conflicts.length > 0) throw new ConflictingDevDatabaseSettingsError(conflicts);
  }

  let databaseUrl: string;
  let databaseWhy: string;
  let embedded: EmbeddedPostgresServer | undefined;
  const databaseSetting = explicit('DATABASE_URL');
  if (databaseSetting) {
    const reason = await probePostgres(databaseSetting);
    if (reason) throw new ServerNotAnsweringError('DATABASE_URL', redactUrl(databaseSetting), reason);
    [databaseUrl, databaseWhy] = [databaseSetting, 'DATABASE_URL'];
  } else {
    const reason = forced ? `forced by ${EMBEDDED_FLAG}` : await probePostgres(DEFAULT_DATABASE_URL);
    if (reason === undefined) {
      [databaseUrl, databaseWhy] = [DEFAULT_DATABASE_URL, 'answering on the default port, DATABASE_URL unset'];
    } else {
      embedded = await startEmbedded(request.embeddedFolder);
      databaseUrl = embedded.url;
      const kept = request.embeddedFolder.temporary ? 'removed on exit' : 'kept across restarts';
      databaseWhy = `${forced ? reason : `nothing answered at ${DEFAULT_DATABASE_URL}`}; data in ${embedded.folder}, ${kept}`;
    }
  }

  let backend: QueueBackendName;
  let backendWhy: string;
  const redisSetting = explicit('REDIS_URL');
  if (forced) {
    [backend, backendWhy] = ['postgres', `${EMBEDDED_FLAG} uses no Redis`];
  } else if (requestedBackend) {
    [backend, backendWhy] = [requestedBackend, 'OPENSMS_QUEUE_BACKEND'];
  } else if (redisSetting) {
    [backend, backendWhy] = ['redis', 'REDIS_URL'];
  } else {
    const reason = await probeRedis(DEFAULT_REDIS_URL);
    [backend, backendWhy] =
      reason === undefined
        ? ['redis', `Redis answering at ${DEFAULT_REDIS_URL}`]
        : ['postgres', `no Redis answered at ${DEFAULT_REDIS_URL}`];
  }
  if (backend === 'redis') {
    const url = redisSetting ?? DEFAULT_REDIS_URL;
    const reason = await probeRedis(url);
    if (reason) {
      await embedded?.stop();
      throw new ServerNotAnsweringError(
        redisSetting ? 'REDIS_URL' : 'OPENSMS_QUEUE_BACKEND=redis (REDIS_URL unset)',
        redactUrl(url),
        reason,
      );
    }
  }

  const database = embedded ? `embedded PostgreSQL at ${databaseUrl}` : `PostgreSQL at ${redactUrl(databaseUrl)}`;
  return {
    environment: { ...environment, DATABASE_URL: databaseUrl, OPENSMS_QUEUE_BACKEND: backend },
    summary: `Using ${database} (${databaseWhy}) and the ${backend === 'redis' ? 'Redis' : 'PostgreSQL'} queue backend (${backendWhy}).`,
    embedded,
    stop: async () => {
      await embedded?.stop();
    },
  };
}

async function startEmbedded(folder: EmbeddedFolder): Promise<EmbeddedPostgresServer> {
  if (!folder.temporary) return EmbeddedPostgresServer.start({ folder: folder.path });
  await removeAbandonedFolders(os.tmpdir(), TEMPORARY_FOLDER_PREFIX);
  return EmbeddedPostgresServer.start({ folder: mkdtempSync(path.join(os.tmpdir(), TEMPORARY_FOLDER_PREFIX)), temporary: true });
}
