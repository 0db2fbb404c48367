import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import type { DataSource } from 'typeorm';
import { clearQueuePrefix, type HttpAdapterName, TEST_SECRET, waitFor } from './support/test-app';
import { connectToSchema, createSchema, dropSchema, TEST_DATABASE_URL, TEST_REDIS, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const LIBRARY = path.join(ROOT, 'libs/opensms-webhook');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SUPPORTED_VERSIONS_PAGE = path.join(ROOT, 'docs/supported-versions.md');
/** TypeScript 6, the repository's own; each host brings TypeScript 5 as its compiler. */
const TSC_6 = path.join(ROOT, 'node_modules/typescript/bin/tsc');
/**
 * Build, pack, then install and compile every host at once: about a minute and a half with the hosts
 * and npm's cache kept from an earlier run, two and a half without (each host downloads its NestJS,
 * TypeORM and BullMQ), far more on a shared machine.
 */
const SETUP_TIMEOUT_MS = 900_000;
/** Child processes' output kept for a failure's message (npm's resolution reports are long). */
const MAX_BUFFER = 64 * 1024 * 1024;
/**
 * The hosts stay between runs, one folder per set of peers under one folder per checkout, and are
 * installed again from scratch when their package.json or install line changed, or after a day (so
 * that new releases within the ranges get tested). npm's own cache (its default folder) keeps the
 * downloads.
 */
const HOSTS_ROOT = path.join(tmpdir(), `opensms-package-matrix-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
const HOST_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const HTTP_ADAPTERS: HttpAdapterName[] = ['express', 'fastify'];

const LIBRARY_PACKAGE = JSON.parse(readFileSync(path.join(LIBRARY, 'package.json'), 'utf8')) as {
  name: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, unknown>;
};
const LIBRARY_SUBPATHS = Object.keys(LIBRARY_PACKAGE.exports).filter((subpath) => subpath.startsWith('./') && subpath !== './package.json');
const REQUIRED_PEERS = Object.keys(LIBRARY_PACKAGE.peerDependencies).filter(
  (name) => !LIBRARY_PACKAGE.peerDependenciesMeta?.[name]?.optional,
);
const OPTIONAL_PEERS = Object.keys(LIBRARY_PACKAGE.peerDependencies).filter((name) => !REQUIRED_PEERS.includes(name));

/** One section of docs/supported-versions.md: the lines a user runs for one set of peers. */
interface PeerSet {
  /** The section's heading, e.g. `NestJS 12, TypeORM 1`. */
  name: string;
  /** The arguments of the `npm install` line of the library and its required peers, as written. */
  install: string[];
  /** The arguments of the `npm install` line of the optional integrations, as written. */
  optional: string[];
  /** What the section adds to the host's package.json (`overrides`), if anything. */
  manifest: Record<string, unknown>;
}

/** The package a spec such as `@nestjs/common@^12` names. */
const packageName = (spec: string) => spec.slice(0, spec.indexOf('@', 1) === -1 ? undefined : spec.indexOf('@', 1));

/** The sets of peers of docs/supported-versions.md, each from a `##` section of its own. */
function peerSetsOf(markdown: string): PeerSet[] {
  return markdown
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const blocks = [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map(([, language, body]) => ({ language, body: body.trim() }));
      const lines = blocks
        .filter(({ language }) => language === 'bash')
        .map(({ body }) => /^npm install (.+)$/.exec(body)?.[1].split(/\s+/) ?? []);
      return {
        name: section.slice(0, section.indexOf('\n')),
        install: lines.find((line) => line[0] === LIBRARY_PACKAGE.name) ?? [],
        optional: lines.find((line) => line.length > 0 && line[0] !== LIBRARY_PACKAGE.name) ?? [],
        manifest: Object.assign({}, ...blocks.filter(({ language }) => language === 'json').map(({ body }) => JSON.parse(body))),
      };
    });
}

const PEER_SETS = peerSetsOf(readFileSync(SUPPORTED_VERSIONS_PAGE, 'utf8'));

/**
 * The throw-away host: one handler, the inbox migrations, the testing kit from its subpath, and
 * every optional integration (health route, alerts, metrics, OpenAPI document).
 */
const HOST_APP = `
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  OnSmsEvent,
  OPENSMS_WEBHOOK_MIGRATIONS,
  OpenSmsWebhookModule,
  type SmsEventContext,
  type SmsFailedEvent,
} from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookAlertsModule } from '@opensms/nestjs-webhooks/alerts';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/metrics';
import { addOpenSmsWebhookToDocument } from '@opensms/nestjs-webhooks/openapi';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { register } from 'prom-client';

const env = process.env;

@Injectable()
class DeliveryStatusHandler {
  @OnSmsEvent('failed')
  async onFailed(event: SmsFailedEvent, ctx: SmsEventContext): Promise<void> {
    console.log('HANDLED ' + JSON.stringify({ messageId: event.messageId, error: event.error, attempt: ctx.attempt }));
  }
}

@Controller('health')
class HealthController {
  constructor(private readonly health: HealthCheckService, private readonly opensms: OpenSmsWebhookHealthIndicator) {}

  @Get() @HealthCheck()
  check() {
    return this.health.check([() => this.opensms.isReady()]);
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
    EventEmitterModule.forRoot(),
    OpenSmsWebhookAlertsModule.forRoot(),
    OpenSmsWebhookMetricsModule.forRoot(),
    TerminusModule,
  ],
  controllers: [HealthController],
  providers: [DeliveryStatusHandler, OpenSmsWebhookHealthIndicator],
})
class AppModule {}

async function main(): Promise<void> {
  const options = { rawBody: true, logger: ['error' as const] };
  const app =
    env.HTTP_ADAPTER === 'fastify' ? await NestFactory.create(AppModule, new FastifyAdapter(), options) : await NestFactory.create(AppModule, options);
  app.enableShutdownHooks();
  const document = addOpenSmsWebhookToDocument(SwaggerModule.createDocument(app, new DocumentBuilder().build()));
  await app.listen(0, '127.0.0.1');
  const kit = signWebhook('{}', env.OPENSMS_WEBHOOK_SECRET!, { id: 'msg_kit', timestamp: 1700000000 });
  console.log('KIT ' + kit.headers['webhook-signature']);
  console.log('OPENAPI ' + Object.keys(document.paths ?? {}).join(','));
  console.log('METRICS ' + (await register.getMetricsAsJSON()).filter(({ name }) => name.startsWith('opensms_webhook_')).length);
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

/**
 * A module of a project made by `tsc --init` (its defaults: ES modules, `exactOptionalPropertyTypes`,
 * `noUncheckedIndexedAccess`, `verbatimModuleSyntax`, no decorators) that uses every entry point.
 */
const ENTRY_POINTS_CHECK = `
import {
  OpenSmsWebhookModule,
  OPENSMS_WEBHOOK_MIGRATIONS,
  redisOptionsFromUrl,
  type SmsEventContext,
  type SmsEventHandler,
  type SmsFailedEvent,
  type OpenSmsWebhookModuleOptions,
} from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookAlertsModule, OPENSMS_ALERTS, type SmsEventDeadAlert } from '@opensms/nestjs-webhooks/alerts';
import { OpenSmsWebhookConsoleModule } from '@opensms/nestjs-webhooks/console';
import { OpenSmsWebhookHealthIndicator } from '@opensms/nestjs-webhooks/health';
import { OpenSmsWebhookMetricsModule } from '@opensms/nestjs-webhooks/metrics';
import { addOpenSmsWebhookToDocument, type OpenSmsWebhookDocumentOptions } from '@opensms/nestjs-webhooks/openapi';
import { signWebhook, smsEventPayload } from '@opensms/nestjs-webhooks/testing';

const options: OpenSmsWebhookModuleOptions = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  queue: { connection: redisOptionsFromUrl('redis://127.0.0.1:6379') },
};
export const modules = [
  OpenSmsWebhookModule.forRoot(options),
  OpenSmsWebhookModule.forRootAsync({ useFactory: () => options }),
  OpenSmsWebhookAlertsModule.forRoot({ backlogThreshold: 500 }),
  OpenSmsWebhookMetricsModule.forRoot(),
  OpenSmsWebhookConsoleModule.register({ authorize: () => true }),
];
export const migrations = [...OPENSMS_WEBHOOK_MIGRATIONS].map((migration) => migration.name);
export const onFailed: SmsEventHandler<'failed'> = async (event: SmsFailedEvent, ctx: SmsEventContext) => {
  await ctx.manager.query('SELECT $1', [event.error]);
};
export const dead = (alert: SmsEventDeadAlert): string => OPENSMS_ALERTS.eventDead + alert.eventId;
export const document: OpenSmsWebhookDocumentOptions = { path: '/webhooks/sms' };
export const describe = addOpenSmsWebhookToDocument;
export const headers: Record<string, string> = signWebhook(JSON.stringify(smsEventPayload({ event: 'sms.failed' })), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').headers;
export type Indicator = OpenSmsWebhookHealthIndicator;
`;

/** What preparing one host found, for its tests and the run's summary. */
interface PreparedHost {
  set: PeerSet;
  dir: string;
  cache: 'cold' | 'warm';
  installSeconds: number;
  /** Compiling the host app, then checking the entry points on both TypeScripts. */
  compileSeconds: number;
  ls: { ok: boolean; output: string };
  typescript: { version: string; ok: boolean; output: string }[];
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const slugOf = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const majorOf = (set: PeerSet, name: string) => /@\^?(\d+)/.exec(set.install.find((spec) => packageName(spec) === name) ?? '')?.[1];

/** The host's package.json before the install line runs: a NestJS application on the set's major. */
function hostManifest(set: PeerSet): Record<string, unknown> {
  return {
    name: `host-${slugOf(set.name)}`,
    private: true,
    dependencies: {
      '@nestjs/platform-express': `^${majorOf(set, '@nestjs/core')}`,
      '@nestjs/platform-fastify': `^${majorOf(set, '@nestjs/core')}`,
      rxjs: '^7',
    },
    devDependencies: { typescript: '^5', '@types/node': '^20' },
    ...set.manifest,
  };
}

/** Runs a command, returning whether it exited 0 and what it printed. */
async function attempt(command: string, args: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, maxBuffer: MAX_BUFFER });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Compiles the entry-points check in a new `tsc --init` project inside the host, with one TypeScript. */
async function checkWithTscInit(hostDir: string, tsc: string): Promise<{ version: string; ok: boolean; output: string }> {
  const version = (await run(process.execPath, [tsc, '--version'])).stdout.trim().replace(/^Version /, '');
  const dir = path.join(hostDir, `tsc-init-${version}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await run(process.execPath, [tsc, '--init'], { cwd: dir });
  writeFileSync(path.join(dir, 'entry-points.ts'), ENTRY_POINTS_CHECK);
  return { version, ...(await attempt(process.execPath, [tsc, '-p', '.', '--noEmit'], dir)) };
}

/**
 * Installs one set's lines as written (the library from the tarball) in its host folder, reused
 * when its package.json and lines are unchanged, then checks the tree and compiles the host.
 */
async function prepareHost(set: PeerSet, tarball: string): Promise<PreparedHost> {
  const dir = path.join(HOSTS_ROOT, slugOf(set.name));
  const manifest = JSON.stringify(hostManifest(set), null, 2);
  const stamp = JSON.stringify({ manifest, install: set.install, optional: set.optional });
  const stampFile = path.join(dir, '.installed-lines');
  const warm =
    existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && Date.now() - statSync(stampFile).mtimeMs < HOST_MAX_AGE_MS;
  if (!warm) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), manifest);
  }
  // NOTE: the tarball's path never changes, but its content does: npm takes the new one only when the old is gone.
  rmSync(path.join(dir, 'node_modules', LIBRARY_PACKAGE.name), { recursive: true, force: true });
  const lines = [...set.install.map((spec) => (spec === LIBRARY_PACKAGE.name ? path.relative(dir, tarball) : spec)), ...set.optional];
  const started = Date.now();
  const install = await attempt(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...lines], dir);
  if (!install.ok) throw new Error(`npm install in ${dir} failed:\n${install.output}`);
  const installSeconds = seconds(started);
  writeFileSync(stampFile, stamp);

  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(HOST_TSCONFIG));
  writeFileSync(path.join(dir, 'app.ts'), HOST_APP);
  const tsc5 = path.join(dir, 'node_modules/typescript/bin/tsc');
  const compiling = Date.now();
  const compiled = await attempt(process.execPath, [tsc5, '-p', 'tsconfig.json'], dir);
  if (!compiled.ok) throw new Error(`the host of "${set.name}" does not compile:\n${compiled.output}`);
  const typescript = await Promise.all([tsc5, TSC_6].map((tsc) => checkWithTscInit(dir, tsc)));
  const compileSeconds = seconds(compiling);
  return {
    set,
    dir,
    cache: warm ? 'warm' : 'cold',
    installSeconds,
    compileSeconds,
    ls: await attempt(NPM, ['ls', '--all'], dir),
    typescript,
  };
}

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

/** One running app of a host, on one HTTP adapter, with a schema and queue prefix of its own. */
interface InstalledHostApp {
  url: string;
  schema: string;
  lines: string[];
  bootSeconds: number;
  stop(): Promise<void>;
}

/** Starts the compiled host app on an adapter and waits until it listens. */
async function startHostApp(dir: string, adapter: HttpAdapterName): Promise<InstalledHostApp> {
  const schema = uniqueName('package');
  await createSchema(schema);
  const started = Date.now();
  const child = spawn(process.execPath, ['dist/app.js'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HTTP_ADAPTER: adapter,
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      OPENSMS_WEBHOOK_SECRET: TEST_SECRET,
      REDIS_HOST: TEST_REDIS.host,
      REDIS_PORT: String(TEST_REDIS.port),
      QUEUE_PREFIX: schema,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = linesOf(child);
  let errors = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  };
  try {
    await waitFor(`the installed host to listen on ${adapter}`, () => lines.some((line) => line.startsWith('READY ')), 120_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${errors}`, { cause: error });
  }
  const url = lines.find((line) => line.startsWith('READY '))!.slice('READY '.length);
  return { url, schema, lines, bootSeconds: seconds(started), stop };
}

describe('the published package, installed as a user would with each supported set of peers', () => {
  const hosts = new Map<string, PromiseSettledResult<PreparedHost>>();
  const summary: string[] = [];

  it('docs/supported-versions.md gives every set a line with every required peer, and one with every optional peer', () => {
    expect(PEER_SETS.map(({ name }) => name)).toEqual([
      'NestJS 12, TypeORM 1',
      'NestJS 11, TypeORM 1, ioredis 6',
      'NestJS 10, TypeORM 0.3',
    ]);
    for (const set of PEER_SETS) {
      expect({ set: set.name, packages: set.install.slice(1).map(packageName).sort() }).toEqual({
        set: set.name,
        packages: [...REQUIRED_PEERS].sort(),
      });
      expect({ set: set.name, packages: set.optional.map(packageName).sort() }).toEqual({
        set: set.name,
        packages: [...OPTIONAL_PEERS].sort(),
      });
    }
  });

  beforeAll(async () => {
    const started = Date.now();
    mkdirSync(HOSTS_ROOT, { recursive: true });
    await run(NPM, ['run', 'build'], { cwd: LIBRARY });
    const { stdout } = await run(NPM, ['pack', '--pack-destination', HOSTS_ROOT, '--json'], { cwd: LIBRARY });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    summary.push(`build and pack: ${seconds(started)} s`);
    const prepared = await Promise.allSettled(PEER_SETS.map((set) => prepareHost(set, path.join(HOSTS_ROOT, filename))));
    prepared.forEach((result, index) => hosts.set(PEER_SETS[index].name, result));
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    process.stderr.write(`package matrix (hosts in ${HOSTS_ROOT}):\n${summary.map((line) => `  ${line}\n`).join('')}`);
  });

  describe.each(PEER_SETS.map((set) => [set.name]))('%s', (name) => {
    let host: PreparedHost;
    const apps = new Map<HttpAdapterName, InstalledHostApp>();
    let inbox: DataSource;

    beforeAll(async () => {
      const prepared = hosts.get(name)!;
      if (prepared.status === 'rejected') throw prepared.reason;
      host = prepared.value;
      await Promise.all(HTTP_ADAPTERS.map(async (adapter) => apps.set(adapter, await startHostApp(host.dir, adapter))));
      // NOTE: the queries name each app's schema; this connection's own is only its search_path.
      inbox = await connectToSchema(apps.get('express')!.schema);
    }, 180_000);

    afterAll(async () => {
      await Promise.all([...apps.values()].map((app) => app.stop()));
      await inbox?.destroy();
    });

    it('installs with a clean npm ls', () => {
      expect(host.ls.ok ? 'clean' : host.ls.output).toBe('clean');
    });

    it.each(HTTP_ADAPTERS)(
      'boots from the tarball on %s, answers a signed webhook with 200, stores the row and runs the handler',
      async (adapter) => {
        const app = apps.get(adapter)!;
        const response = await postSigned(`${app.url}/webhooks/sms`, smsPayload({ event: 'sms.failed', message_id: 'msg_packed' }));
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'received', id: expect.any(String), duplicate: false });

        const rows = await inbox.query(`SELECT "message_id", "event" FROM "${app.schema}"."opensms_webhook_events" WHERE "id" = $1`, [
          response.body.id,
        ]);
        expect(rows).toEqual([{ message_id: 'msg_packed', event: 'sms.failed' }]);
        await waitFor('the handler', () => app.lines.some((line) => line.startsWith('HANDLED ')));
        const handled = app.lines.filter((line) => line.startsWith('HANDLED '));
        expect(handled).toEqual([`HANDLED ${JSON.stringify({ messageId: 'msg_packed', error: 'Invalid phone number', attempt: 1 })}`]);
        const checks = host.typescript.map(({ version, ok }) => `tsc --init on TypeScript ${version} ${ok ? 'ok' : 'FAILED'}`);
        summary.push(
          `${name}, ${adapter}: install ${host.installSeconds} s (${host.cache}), compile ${host.compileSeconds} s, boot ${app.bootSeconds} s, ` +
            `signed call ${response.status}, handler ran ${handled.length}x, ${checks.join(', ')}, npm ls ${host.ls.ok ? 'clean' : 'FAILED'}`,
        );
      },
    );

    it('runs the optional integrations: the health route, metrics, the OpenAPI document', async () => {
      for (const app of apps.values()) {
        const health = await fetch(`${app.url}/health`);
        expect({ status: health.status, body: await health.json() }).toMatchObject({ status: 200, body: { status: 'ok' } });
        expect(app.lines).toContain('METRICS 10');
        const openApiPaths = app.lines
          .find((line) => line.startsWith('OPENAPI '))
          ?.slice('OPENAPI '.length)
          .split(',');
        expect(openApiPaths).toContain('/webhooks/sms');
      }
    });

    it('serves the testing kit from the @opensms/nestjs-webhooks/testing subpath', () => {
      const expected = signWebhook('{}', TEST_SECRET, { id: 'msg_kit', timestamp: 1700000000 }).headers['webhook-signature'];
      expect(apps.get('express')!.lines).toContain(`KIT ${expected}`);
    });

    it('compiles a tsc --init project that uses every entry point, on TypeScript 5 and 6', () => {
      expect(host.typescript.map(({ version }) => version.split('.')[0])).toEqual(['5', '6']);
      expect(host.typescript.filter(({ ok }) => !ok)).toEqual([]);
    });

    it('resolves every subpath of its exports to the folder of the same name; the root entry does not load the console', async () => {
      expect([...LIBRARY_SUBPATHS].sort()).toEqual(['./alerts', './console', './health', './metrics', './openapi', './testing']);
      const script = `
        const entries = ${JSON.stringify(LIBRARY_SUBPATHS)}.map((subpath) => '@opensms/nestjs-webhooks' + subpath.slice(1));
        for (const entry of entries) console.log('RESOLVED ' + require.resolve(entry).split('/dist/')[1] + ' ' + Object.keys(require(entry)).length);
        console.log('ROOT ' + ('OpenSmsWebhookConsoleModule' in require('@opensms/nestjs-webhooks')));
      `;
      const { stdout } = await run(process.execPath, ['-e', script], { cwd: host.dir });
      const lines = stdout.trim().split('\n');
      expect(lines.map((line) => line.replace(/ \d+$/, ''))).toEqual([
        ...LIBRARY_SUBPATHS.map((subpath) => `RESOLVED ${subpath.slice(2)}/index.js`),
        'ROOT false',
      ]);
      expect(lines.filter((line) => line.endsWith(' 0'))).toEqual([]);
    });

    it("installs the opensms-webhook command, whose status reads the host's inbox and queue", async () => {
      const command = path.join(host.dir, 'node_modules/.bin/opensms-webhook');
      const { stdout: help } = await run(command, ['--help']);
      expect(help).toContain('Usage: opensms-webhook <command> [options]');

      const { schema } = apps.get('express')!;
      const redisUrl = `redis://${TEST_REDIS.host}:${TEST_REDIS.port}`;
      await waitFor('the signed call of the express host to be processed', async () => {
        const states = await inbox.query(`SELECT "state" FROM "${schema}"."opensms_webhook_event_states"`);
        return states.length === 1 && states[0].state === 'processed';
      });
      const { stdout } = await run(command, [
        'status',
        '--database-url',
        TEST_DATABASE_URL,
        '--schema',
        schema,
        '--redis-url',
        redisUrl,
        '--queue-prefix',
        schema,
      ]);
      expect(stdout.split('\n')).toEqual(expect.arrayContaining(['processed  1', 'backlog    0', 'processing running']));
    });
  });
});
