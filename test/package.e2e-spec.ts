import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import type { DataSource } from 'typeorm';
import { clearQueuePrefix, TEST_SECRET, waitFor } from './support/test-app';
import { connectToSchema, createSchema, dropSchema, TEST_DATABASE_URL, TEST_REDIS, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const LIBRARY = path.join(ROOT, 'libs/opensms-webhook');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Build, pack, install and compile: about two minutes on a quiet machine, far more on a shared one. */
const SETUP_TIMEOUT_MS = 480_000;

const LIBRARY_PACKAGE = JSON.parse(readFileSync(path.join(LIBRARY, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, unknown>;
};
const LIBRARY_EXPORTS = LIBRARY_PACKAGE.exports;

/**
 * What a user installs next to the package: its required peer dependencies (none of the optional
 * integrations) and an HTTP platform, at the workspace's versions.
 */
const HOST_DEPENDENCIES = [
  ...Object.keys(LIBRARY_PACKAGE.peerDependencies).filter((name) => !LIBRARY_PACKAGE.peerDependenciesMeta?.[name]?.optional),
  '@nestjs/platform-express',
  'rxjs',
  '@types/node',
].map((name) => `${name}@${JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version}`);

/** The throw-away host: one handler, the inbox migrations, the testing kit from its subpath. */
const HOST_APP = `
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  OnSmsEvent,
  OPENSMS_WEBHOOK_MIGRATIONS,
  OpenSmsWebhookModule,
  type SmsEventContext,
  type SmsFailedEvent,
} from '@opensms/nestjs-webhooks';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';

const env = process.env;

@Injectable()
class DeliveryStatusHandler {
  @OnSmsEvent('failed')
  async onFailed(event: SmsFailedEvent, ctx: SmsEventContext): Promise<void> {
    console.log('HANDLED ' + JSON.stringify({ messageId: event.messageId, error: event.error, attempt: ctx.attempt }));
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: env.DATABASE_URL,
      schema: env.DATABASE_SCHEMA,
      autoLoadEntities: true,
      migrations: [...OPENSMS_WEBHOOK_MIGRATIONS],
      migrationsRun: true,
      retryAttempts: 0,
    }),
    OpenSmsWebhookModule.forRoot({
      secret: env.OPENSMS_WEBHOOK_SECRET,
      queue: { connection: { host: env.REDIS_HOST, port: Number(env.REDIS_PORT) }, prefix: env.QUEUE_PREFIX },
      worker: { reconcileIntervalMs: 0 },
      retention: { days: 0 },
    }),
  ],
  providers: [DeliveryStatusHandler],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const kit = signWebhook('{}', env.OPENSMS_WEBHOOK_SECRET!, { id: 'msg_kit', timestamp: 1700000000 });
  console.log('KIT ' + kit.headers['webhook-signature']);
  console.log('READY ' + (await app.getUrl()));
}

void main();
`;

const HOST_TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2022',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    types: ['node'],
    outDir: 'dist',
  },
  files: ['app.ts'],
};

/** Reads a child's stdout line by line. */
function linesOf(child: ChildProcess): string[] {
  const lines: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

describe('the published package, installed as a user would', () => {
  const schema = uniqueName('package');
  let workDir: string;
  let host: ChildProcess | undefined;
  let hostLines: string[] = [];
  let hostErrors = '';
  let url: string;
  let inbox: DataSource;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'opensms-package-'));
    await createSchema(schema);

    await run(NPM, ['run', 'build'], { cwd: LIBRARY });
    const { stdout } = await run(NPM, ['pack', '--pack-destination', workDir, '--json'], { cwd: LIBRARY });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];

    const appDir = path.join(workDir, 'host');
    mkdirSync(appDir);
    writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'throw-away-host', private: true }));
    writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify(HOST_TSCONFIG));
    writeFileSync(path.join(appDir, 'app.ts'), HOST_APP);
    await run(
      NPM,
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(workDir, filename), ...HOST_DEPENDENCIES],
      { cwd: appDir },
    );
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: appDir });

    host = spawn(process.execPath, ['dist/app.js'], {
      cwd: appDir,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        OPENSMS_WEBHOOK_SECRET: TEST_SECRET,
        REDIS_HOST: TEST_REDIS.host,
        REDIS_PORT: String(TEST_REDIS.port),
        QUEUE_PREFIX: schema,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    hostLines = linesOf(host);
    host.stderr!.setEncoding('utf8').on('data', (chunk: string) => (hostErrors += chunk));
    await waitFor('the installed host to listen', () => hostLines.some((line) => line.startsWith('READY ')), 120_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${hostErrors}`);
      },
    );
    url = hostLines.find((line) => line.startsWith('READY '))!.slice('READY '.length);
    inbox = await connectToSchema(schema);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (host && host.exitCode === null) {
      const exited = new Promise((resolve) => host!.once('exit', resolve));
      host.kill('SIGTERM');
      await exited;
    }
    await inbox?.destroy();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('boots from the tarball, answers a signed webhook with 200, stores the row and runs the handler', async () => {
    const response = await postSigned(`${url}/webhooks/sms`, smsPayload({ event: 'sms.failed', message_id: 'msg_packed' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });

    const rows = await inbox.query(`SELECT "message_id", "event" FROM "${schema}"."opensms_webhook_events" WHERE "id" = $1`, [
      response.body.id,
    ]);
    expect(rows).toEqual([{ message_id: 'msg_packed', event: 'sms.failed' }]);
    await waitFor('the handler', () => hostLines.some((line) => line.startsWith('HANDLED ')));
    expect(hostLines.filter((line) => line.startsWith('HANDLED '))).toEqual([
      `HANDLED ${JSON.stringify({ messageId: 'msg_packed', error: 'Invalid phone number', attempt: 1 })}`,
    ]);
  });

  it('serves the testing kit from the @opensms/nestjs-webhooks/testing subpath', () => {
    const expected = signWebhook('{}', TEST_SECRET, { id: 'msg_kit', timestamp: 1700000000 }).headers['webhook-signature'];
    expect(hostLines).toContain(`KIT ${expected}`);
  });

  it('resolves every subpath of its exports to the folder of the same name, and loads those that need no optional peer', async () => {
    const subpaths = Object.keys(LIBRARY_EXPORTS).filter((subpath) => subpath.startsWith('./') && subpath !== './package.json');
    expect(subpaths.sort()).toEqual(['./alerts', './console', './health', './metrics', './openapi', './testing']);
    const script = `
      const entries = ${JSON.stringify(subpaths)}.map((subpath) => '@opensms/nestjs-webhooks' + subpath.slice(1));
      for (const entry of entries) console.log('RESOLVED ' + require.resolve(entry).split('/dist/')[1]);
      console.log('CONSOLE ' + typeof require('@opensms/nestjs-webhooks/console').OpenSmsWebhookConsoleModule);
      console.log('ROOT ' + ('OpenSmsWebhookConsoleModule' in require('@opensms/nestjs-webhooks')));
    `;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: path.join(workDir, 'host') });
    expect(stdout.trim().split('\n')).toEqual([
      ...subpaths.map((subpath) => `RESOLVED ${subpath.slice(2)}/index.js`),
      'CONSOLE function',
      'ROOT false',
    ]);
  });

  it('installs the opensms-webhook command', async () => {
    const { stdout } = await run(path.join(workDir, 'host/node_modules/.bin/opensms-webhook'), ['--help']);
    expect(stdout).toContain('Usage: opensms-webhook <command> [options]');
  });
});
