import { ForbiddenException, type INestApplication, Injectable, type LoggerService } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { OpenSmsWebhookService, type SmsEventState } from '@opensms/nestjs-webhooks';
import {
  InvalidConsoleOptionsError,
  type OpenSmsWebhookConsoleRequest,
  OpenSmsWebhookConsoleModule,
} from '@opensms/nestjs-webhooks/console';
import { OpenSmsWebhookAlertsModule } from '@opensms/nestjs-webhooks/alerts';
import { signWebhook } from '@opensms/nestjs-webhooks/testing';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConsoleConsumer } from './fixtures/console.consumer';
import { launchBrowser } from './support/browser';
import { LogCapture } from './support/log-capture';
import { rawHttpRequest } from './support/raw-http';
import { clearQueuePrefix, startTestApp, TEST_SECRET, type TestAppScope, useTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';
import { postRaw, postSigned, smsPayload } from './support/webhook-client';

const TOKEN = 'console-test-token';
const CHALLENGE = 'Basic realm="OpenSMS console"';

/** The test's access check: Basic credentials whose password is the token; `mallory` is known but refused. */
function authorize(request: OpenSmsWebhookConsoleRequest): string | false {
  const [scheme, encoded] = (request.headers.authorization ?? '').split(' ');
  if (scheme !== 'Basic' || !encoded) return false;
  const [user, password] = Buffer.from(encoded, 'base64').toString().split(':');
  if (password !== TOKEN) return false;
  if (user === 'mallory') throw new ForbiddenException();
  return user;
}

function basic(user: string, password = TOKEN): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Collects the app's log lines (the console logs every action with its user). */
class LogLines implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  error(): void {}
  warn(): void {}
}

/** What an alert of refused console access carries, as a host's listener reads it. */
interface ConsoleAccessAlert {
  name: string;
  client: string;
  failures: number;
  windowMs: number;
  since: Date;
}

/** A host's listener of the console's alert. */
@Injectable()
class ConsoleAlertListener {
  readonly refused: ConsoleAccessAlert[] = [];

  @OnEvent('opensms.console.access-refused')
  onRefused(alert: ConsoleAccessAlert): void {
    this.refused.push(alert);
  }
}

/** A form token and its cookie, as a browser gets them from a console page. */
async function formToken(url: string, authorization: string): Promise<{ cookie: string; token: string }> {
  const page = await fetch(url, { headers: { authorization } });
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { cookie, token };
}

function postForm(url: string, headers: Record<string, string>, fields: Record<string, string> | [string, string][]): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('inbox console', () => {
  it('refuses to start without an access check, with register and registerAsync', async () => {
    for (const module of [
      OpenSmsWebhookConsoleModule.register({}),
      OpenSmsWebhookConsoleModule.registerAsync({ useFactory: () => ({}) }),
    ]) {
      const compiling = Test.createTestingModule({ imports: [module] }).compile();
      await expect(compiling).rejects.toThrow(InvalidConsoleOptionsError);
      await expect(compiling).rejects.toThrow(/never open by default/);
    }
  });

  for (const adapter of ['express', 'fastify'] as const) {
    describe(`on ${adapter}`, () => {
      const logs = new LogLines();
      const consumer = new ConsoleConsumer();
      const scope = useTestApp(`console ${adapter}`, {
        adapter,
        options: { job: { attempts: 2 } },
        providers: [{ provide: ConsoleConsumer, useValue: consumer }],
        imports: [OpenSmsWebhookConsoleModule.register({ authorize, challenge: CHALLENGE })],
        logger: logs,
      });
      const consoleUrl = () => `${scope.url}/opensms`;

      it('answers 401 (with the challenge) or 403 to a denied request, and renders nothing', async () => {
        await post(scope, { message_id: 'msg_secret_1' });
        for (const [authorization, status] of [
          [undefined, 401],
          [basic('alice', 'wrong'), 401],
          [basic('mallory'), 403],
        ] as const) {
          for (const path of ['', '/events?messageId=msg_secret_1', '/console.css']) {
            const response = await fetch(`${consoleUrl()}${path}`, { headers: authorization ? { authorization } : {} });
            expect(response.status).toBe(status);
            const body = await response.text();
            expect(body).not.toContain('msg_secret_1');
            expect(body).not.toContain('OpenSMS inbox');
            if (status === 401) expect(response.headers.get('www-authenticate')).toBe(CHALLENGE);
          }
        }
      });

      it('serves pages with a content security policy and a strict form-token cookie', async () => {
        const response = await fetch(consoleUrl(), { headers: { authorization: basic('alice') } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        // Not no-referrer: under it a browser posts the page's forms with `Origin: null`, which the console refuses.
        expect(response.headers.get('referrer-policy')).toBe('same-origin');
        expect(response.headers.get('set-cookie')).toMatch(
          /^opensms_console_csrf=[\w-]{22}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/,
        );
        expect(await response.text()).toContain('Signed in as alice');

        // Without trust proxy, a client's X-Forwarded-Proto says nothing: the connection is plain HTTP.
        const forwarded = await fetch(consoleUrl(), { headers: { authorization: basic('alice'), 'x-forwarded-proto': 'https' } });
        expect(forwarded.headers.get('set-cookie')).toMatch(/^opensms_console_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
      });

      it('refuses a well-formed form token it did not issue, planted in both the cookie and the form, and changes nothing', async () => {
        const id = await deadEvent(scope, consumer, `msg_planted_${adapter}`);
        const authorization = basic('alice');
        const since = logs.lines.length;
        const planted = [
          randomBytes(32).toString('base64url'),
          `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
        ];
        for (const token of planted) {
          const headers = { authorization, cookie: `opensms_console_csrf=${token}`, origin: scope.url };
          for (const action of [`events/${id}/replay`, 'pause']) {
            const answer = await postForm(`${consoleUrl()}/${action}`, headers, { _csrf: token });
            expect(answer.status).toBe(403);
            expect(((await answer.json()) as { message: string }).message).toBe(
              'Missing or wrong form token: reload the page and try again',
            );
          }
        }
        expect((await service(scope).findById(id))?.state).toBe('dead');
        expect(await service(scope).isPaused()).toBe(false);
        expect(logs.lines.slice(since).filter((line) => line.startsWith('Console: '))).toEqual([]);
      });

      it("refuses a form token issued to one user's credentials when another user's credentials submit it", async () => {
        const id = await deadEvent(scope, consumer, `msg_other_user_${adapter}`);
        const { cookie, token } = await formToken(consoleUrl(), basic('alice'));
        for (const action of [`events/${id}/replay`, 'pause']) {
          const answer = await postForm(
            `${consoleUrl()}/${action}`,
            { authorization: basic('bob'), cookie, origin: scope.url },
            { _csrf: token },
          );
          expect(answer.status).toBe(403);
        }
        expect((await service(scope).findById(id))?.state).toBe('dead');
        expect(await service(scope).isPaused()).toBe(false);

        // Bob's own page gives him a token of his own, in place of Alice's cookie.
        const own = await fetch(consoleUrl(), { headers: { authorization: basic('bob'), cookie } });
        const renewed = (own.headers.get('set-cookie') ?? '').split(';')[0];
        expect(renewed).toMatch(/^opensms_console_csrf=/);
        expect(renewed).not.toBe(cookie);
      });

      it('refuses a POST from another origin (Origin, or Referer when there is no Origin), and changes nothing', async () => {
        const id = await deadEvent(scope, consumer, `msg_foreign_origin_${adapter}`);
        const authorization = basic('alice');
        const { cookie, token } = await formToken(consoleUrl(), authorization);
        const sameOrigin = new URL(scope.url).origin;
        const foreign: Record<string, string>[] = [
          { origin: 'https://evil.example' },
          { origin: 'null' },
          { origin: sameOrigin.replace('http:', 'https:') },
          { origin: 'https://evil.example', referer: `${consoleUrl()}/events/${id}` },
          { referer: 'https://evil.example/opensms' },
          { referer: `${sameOrigin.replace('127.0.0.1', 'localhost')}/opensms` },
        ];
        for (const headers of foreign) {
          for (const action of [`events/${id}/replay`, 'pause']) {
            const answer = await postForm(`${consoleUrl()}/${action}`, { authorization, cookie, ...headers }, { _csrf: token });
            expect(answer.status).toBe(403);
            expect(((await answer.json()) as { message: string }).message).toMatch(/^Cross-origin request refused/);
          }
        }
        expect((await service(scope).findById(id))?.state).toBe('dead');
        expect(await service(scope).isPaused()).toBe(false);
      });

      it('performs a same-origin POST with the token it issued: Origin, Referer without Origin, or neither', async () => {
        const authorization = basic('alice');
        const { cookie, token } = await formToken(consoleUrl(), authorization);
        const sameOrigin = new URL(scope.url).origin;
        const steps: [Record<string, string>, string, boolean][] = [
          [{ origin: sameOrigin }, 'pause', true],
          [{ referer: `${consoleUrl()}/events?state=dead` }, 'resume', false],
          [{}, 'pause', true],
          [{ origin: sameOrigin, 'sec-fetch-site': 'same-origin' }, 'resume', false],
        ];
        for (const [headers, action, paused] of steps) {
          const answer = await postForm(`${consoleUrl()}/${action}`, { authorization, cookie, ...headers }, { _csrf: token });
          expect(answer.status).toBe(303);
          expect(await service(scope).isPaused()).toBe(paused);
        }
      });

      it('changes nothing on a POST without the form token, with a wrong one, or announced as cross-site', async () => {
        const messageId = `msg_csrf_${adapter}`;
        consumer.failing.add(messageId);
        const id = await post(scope, { message_id: messageId });
        await waitForState(scope, id, 'dead');
        const authorization = basic('alice');
        const { cookie, token } = await formToken(consoleUrl(), authorization);
        const replayUrl = `${consoleUrl()}/events/${id}/replay`;

        const attempts: [Record<string, string>, Record<string, string>][] = [
          [{ authorization }, {}],
          [{ authorization, cookie }, {}],
          [{ authorization }, { _csrf: token }],
          [{ authorization, cookie }, { _csrf: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }],
          [{ authorization, cookie, 'sec-fetch-site': 'cross-site' }, { _csrf: token }],
        ];
        for (const [headers, fields] of attempts) {
          expect((await postForm(replayUrl, headers, fields)).status).toBe(403);
        }
        expect((await postForm(`${consoleUrl()}/pause`, { authorization }, {})).status).toBe(403);
        expect((await service(scope).findById(id))?.state).toBe('dead');
        expect(await service(scope).isPaused()).toBe(false);

        consumer.failing.delete(messageId);
        const accepted = await postForm(replayUrl, { authorization, cookie, 'sec-fetch-site': 'same-origin' }, { _csrf: token });
        expect(accepted.status).toBe(303);
        expect(accepted.headers.get('location')).toBe(`/opensms/events/${id}?done=replayed`);
        await waitForState(scope, id, 'processed');
        expect(logs.lines).toContain(`Console: alice replayed inbox ${id}`);
      });

      it('reprocesses the events of a search for the ticked handler: the plan first, then the run; nothing else runs', async () => {
        const messageId = `msg_reprocess_${adapter}`;
        const ids = [
          await post(scope, { message_id: messageId, event: 'sms.pending', status: 'pending' }),
          await post(scope, { message_id: messageId, event: 'sms.failed', status: 'failed', error: 'Invalid' }),
        ];
        const other = await post(scope, { message_id: `msg_reprocess_other_${adapter}` });
        for (const id of [...ids, other]) await waitForState(scope, id, 'processed');
        const authorization = basic('alice');
        const { cookie, token } = await formToken(`${consoleUrl()}/events?messageId=${messageId}`, authorization);
        const search = await (await fetch(`${consoleUrl()}/events?messageId=${messageId}`, { headers: { authorization } })).text();
        for (const handler of ['ConsoleConsumer.ledger', 'ConsoleConsumer.notifier']) {
          expect(search).toContain(`<input type="checkbox" name="handler" value="${handler}">`);
        }
        const fields: [string, string][] = [
          ['_csrf', token],
          ['messageId', messageId],
          ['handler', 'ConsoleConsumer.ledger'],
        ];
        const runsOfThese = () => consumer.runs.filter((run) => [...ids, other].includes(run.eventId));
        const runsBefore = runsOfThese().length;

        const plan = await postForm(`${consoleUrl()}/reprocess`, { authorization, cookie }, fields);
        expect(plan.status).toBe(200);
        const planPage = await plan.text();
        expect(planPage).toContain('<strong data-testid="reprocess-events">2</strong> finished event(s)');
        expect(planPage).toContain('Message id <code>msg_reprocess_');
        for (const type of ['sms.failed', 'sms.pending']) {
          expect(planPage).toContain(`<td data-label="Event type"><code>${type}</code></td><td data-label="Events">1</td>`);
        }
        expect(planPage).toMatch(
          /<td data-label="Handler" class="mono">ConsoleConsumer\.ledger<\/td>\s*<td data-label="Selected events it takes">2<\/td>\s*<td data-label="Completed before">2<\/td>/,
        );
        expect(planPage).not.toContain('ConsoleConsumer.notifier</td>');
        expect(planPage).toContain('<button type="submit" class="danger">Reprocess 2 event(s)</button>');
        expect(runsOfThese()).toHaveLength(runsBefore);
        for (const id of ids) expect((await service(scope).findById(id))?.state).toBe('processed');

        const started = await postForm(`${consoleUrl()}/reprocess/start`, { authorization, cookie }, fields);
        expect(started.status).toBe(303);
        const location = started.headers.get('location') ?? '';
        expect(location).toMatch(/^\/opensms\/reprocess\/[0-9a-f-]{36}\?done=reprocessing$/);
        await waitFor('the ledger to run again on the two events', () => consumer.runs.filter((run) => run.reprocessed).length === 2);
        for (const id of ids) await waitForState(scope, id, 'processed');
        const again = consumer.runs.filter((run) => run.reprocessed);
        expect(again.map((run) => run.handler)).toEqual(['ledger', 'ledger']);
        expect(again.map((run) => run.eventId).sort()).toEqual([...ids].sort());
        expect(runsOfThese()).toHaveLength(runsBefore + 2);

        const runPage = await (await fetch(`${scope.url}${location}`, { headers: { authorization } })).text();
        expect(runPage).toContain('<p class="notice" role="status">Reprocessing started.</p>');
        expect(runPage).toContain('Started by alice at');
        expect(runPage).toContain(
          '<p data-testid="reprocess-progress">Queued: 2 of 2 event(s) queued again; the application&#39;s workers process them.</p>',
        );
        expect(
          logs.lines.some(
            (line) =>
              line.startsWith('Console: alice started reprocessing 2 event(s) for ConsoleConsumer.ledger matching') &&
              line.includes(messageId),
          ),
        ).toBe(true);
      });

      it('refuses to reprocess a state that cannot be, or a handler the application does not have, and changes nothing', async () => {
        const authorization = basic('alice');
        const { cookie, token } = await formToken(`${consoleUrl()}/events`, authorization);
        const search = await (await fetch(`${consoleUrl()}/events?state=received`, { headers: { authorization } })).text();
        expect(search).toContain('Events in state <code>received</code> cannot be reprocessed');
        expect(search).not.toContain(`action="/opensms/reprocess"`);
        const reprocessedBefore = consumer.runs.filter((run) => run.reprocessed).length;

        const state = await postForm(`${consoleUrl()}/reprocess`, { authorization, cookie }, { _csrf: token, state: 'received' });
        expect(state.status).toBe(400);
        const statePage = await state.text();
        expect(statePage).toContain('<h1>Reprocessing refused</h1>');
        expect(statePage).toContain(
          '<li>state received cannot be reprocessed (only processed, ignored, dead: unfinished events run anyway)</li>',
        );
        const handler = await postForm(
          `${consoleUrl()}/reprocess`,
          { authorization, cookie },
          { _csrf: token, handler: 'ConsoleConsumer.ledgr' },
        );
        expect(handler.status).toBe(400);
        expect(await handler.text()).toContain('no handler ConsoleConsumer.ledgr in this application');
        const start = await postForm(`${consoleUrl()}/reprocess/start`, { authorization, cookie }, { _csrf: token, state: 'failed' });
        expect(start.status).toBe(400);
        expect(await start.text()).toContain('state failed cannot be reprocessed');
        expect(consumer.runs.filter((run) => run.reprocessed)).toHaveLength(reprocessedBefore);
        expect(logs.lines.filter((line) => line.includes('started reprocessing') && line.includes('"state"'))).toEqual([]);
      });

      it('answers 404 for an unknown event or message, 400 for an id that is not one', async () => {
        const headers = { authorization: basic('alice') };
        expect((await fetch(`${consoleUrl()}/events/00000000-0000-4000-8000-000000000000`, { headers })).status).toBe(404);
        expect((await fetch(`${consoleUrl()}/messages/msg_nobody`, { headers })).status).toBe(404);
        expect((await fetch(`${consoleUrl()}/events/not-an-id`, { headers })).status).toBe(400);
      });

      it('links only to paths when the request line names another host (absolute-form target, forged Host)', async () => {
        const id = await post(scope, { message_id: `msg_absolute_${adapter}` });
        const headers = { host: 'evil.example', authorization: basic('alice') };
        const get = (path: string) => rawHttpRequest(scope.url, { method: 'GET', target: `http://evil.example/opensms${path}`, headers });

        for (const path of ['', '/events', `/events/${id}`, `/messages/msg_absolute_${adapter}`, '/replay-dead']) {
          const page = await get(path);
          expect(page.status).toBe(200);
          expect(page.body).toContain('href="/opensms/events"');
          expect(page.body).not.toContain('evil.example');
        }

        const overview = await get('');
        const cookie = (overview.headers['set-cookie'] ?? '').split(';')[0];
        const token = /name="_csrf" value="([^"]+)"/.exec(overview.body)?.[1] ?? '';
        expect(overview.body).toContain('action="/opensms/pause"');
        for (const action of ['pause', 'resume']) {
          const answer = await rawHttpRequest(scope.url, {
            method: 'POST',
            target: `http://evil.example/opensms/${action}`,
            headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ _csrf: token }).toString(),
          });
          expect(answer.status).toBe(303);
          expect(answer.headers.location).toBe(`/opensms?done=${action === 'pause' ? 'paused' : 'resumed'}`);
          expect(answer.body).not.toContain('evil.example');
        }
        expect(await service(scope).isPaused()).toBe(false);
      });

      it('logs and shows a user name that carries a line break and a terminal escape as one escaped line', async () => {
        const authorization = basic('eve\n\u001b[31mroot');
        const escaped = 'eve\\n\\x1b[31mroot';
        const { cookie, token } = await formToken(consoleUrl(), authorization);
        const since = logs.lines.length;
        for (const action of ['pause', 'resume']) {
          expect((await postForm(`${consoleUrl()}/${action}`, { authorization, cookie }, { _csrf: token })).status).toBe(303);
        }
        const replayDead = { _csrf: token, messageId: 'msg_\u202enone', expected: '1' };
        expect((await postForm(`${consoleUrl()}/replay-dead`, { authorization, cookie }, replayDead)).status).toBe(303);

        const lines = logs.lines.slice(since).filter((line) => line.startsWith('Console: '));
        expect(lines).toEqual([
          `Console: ${escaped} paused processing`,
          `Console: ${escaped} resumed processing`,
          `Console: ${escaped} replayed 0 dead event(s) matching {"messageId":"msg_\\u202enone"}`,
        ]);
        for (const line of lines) expect(line).not.toMatch(/[\n\u001b\u202e]/);

        const page = await (await fetch(consoleUrl(), { headers: { authorization, cookie } })).text();
        expect(page).toContain(`Signed in as ${escaped} ·`);
      });

      it('shows ids, errors and payload strings carrying bidirectional controls with the controls escaped', async () => {
        const messageId = `msg_\u202egnp.exe_${adapter}`;
        const id = await post(scope, { event: 'sms.failed', message_id: messageId, error: 'refused \u2066by\u2069 \u200fcarrier' });
        const shown = `msg_\\u202egnp.exe_${adapter}`;
        const pages = [consoleUrl(), `${consoleUrl()}/events/${id}`, `${consoleUrl()}/messages/${encodeURIComponent(messageId)}`];
        for (const url of pages) {
          const response = await fetch(url, { headers: { authorization: basic('alice') } });
          expect(response.status).toBe(200);
          const page = await response.text();
          expect(page).toContain(`>${shown}<`);
          expect(page).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
        }
        const event = await (await fetch(`${consoleUrl()}/events/${id}`, { headers: { authorization: basic('alice') } })).text();
        expect(event).toContain('refused \\u2066by\\u2069 \\u200fcarrier');
        expect(event).toContain(`&quot;message_id&quot;: &quot;${shown}&quot;`);
      });
    });
  }

  describe('with tenants (tenants.secretResolver)', () => {
    const scope = useTestApp('console tenants', {
      options: {
        secret: undefined,
        tenants: { secretResolver: (headers) => ({ tenant: String(headers['x-tenant']), secrets: TEST_SECRET }) },
      },
      imports: [OpenSmsWebhookConsoleModule.register({ authorize, challenge: CHALLENGE })],
    });

    it("searches one tenant's events, and keeps the tenant in the form", async () => {
      for (const tenant of ['acme', 'globex']) {
        const signed = signWebhook(smsPayload({ message_id: `msg_console_${tenant}` }), TEST_SECRET);
        expect((await postRaw(`${scope.url}/webhooks/sms`, signed.body, { ...signed.headers, 'x-tenant': tenant })).status).toBe(200);
      }
      const page = await (await fetch(`${scope.url}/opensms/events?tenant=acme`, { headers: { authorization: basic('alice') } })).text();

      expect(page).toContain('msg_console_acme');
      expect(page).not.toContain('msg_console_globex');
      expect(page).toContain('<label>Tenant<input name="tenant" value="acme"');
    });
  });

  describe("in an ingest-only process (mode 'ingest'), next to a worker process", () => {
    const schema = uniqueName('console ingest');
    const consumer = new ConsoleConsumer();
    const logs = new LogLines();
    const apps: { app: INestApplication; url: string }[] = [];
    const ingest = () => apps[0];
    const worker = () => apps[1];
    const consoleUrl = () => `${ingest().url}/opensms`;
    const authorization = basic('alice');

    beforeAll(async () => {
      await createSchema(schema);
      const common = { schema, queuePrefix: schema, options: { job: { attempts: 2 } } };
      apps.push(
        await startTestApp({
          ...common,
          extras: { mode: 'ingest' },
          imports: [OpenSmsWebhookConsoleModule.register({ authorize, challenge: CHALLENGE })],
          logger: logs,
        }),
      );
      apps.push(
        await startTestApp({ ...common, extras: { mode: 'worker' }, providers: [{ provide: ConsoleConsumer, useValue: consumer }] }),
      );
    });

    afterAll(async () => {
      for (const { app } of apps) await app.close();
      await clearQueuePrefix(schema);
      await dropSchema(schema);
    });

    it('shows the overview with where processing runs instead of the pause control', async () => {
      const response = await fetch(consoleUrl(), { headers: { authorization } });
      expect(response.status).toBe(200);
      const page = await response.text();
      expect(page).toContain('<div class="hint">Processing runs in worker processes.</div>');
      expect(page).toContain('data-testid="processing">In workers<');
      expect(page).not.toContain('Pause processing');
      expect(page).not.toContain('Resume processing');
      expect(page).not.toContain(`action="/opensms/pause"`);
    });

    it('answers a pause or a resume with 409 and why, and leaves processing running', async () => {
      // The overview has no form here; the form token is the cookie's (a double-submit token).
      const { cookie } = await formToken(consoleUrl(), authorization);
      const token = cookie.slice(cookie.indexOf('=') + 1);
      for (const action of ['pause', 'resume']) {
        const response = await postForm(`${consoleUrl()}/${action}`, { authorization, cookie }, { _csrf: token });
        expect(response.status).toBe(409);
        expect(((await response.json()) as { message: string }).message).toMatch(
          /^Processing runs in worker processes: this process \(mode 'ingest'\)/,
        );
      }
      expect(await worker().app.get(OpenSmsWebhookService).isPaused()).toBe(false);
      expect(logs.lines.filter((line) => line.startsWith('Console: '))).toEqual([]);
    });

    it('replays a dead event from the inbox alone: a worker process then runs it again', async () => {
      consumer.failing.add('msg_ingest_console');
      const stored = await postSigned(`${ingest().url}/webhooks/sms`, smsPayload({ message_id: 'msg_ingest_console' }));
      expect(stored.status).toBe(200);
      const id = stored.body.id as string;
      const inbox = ingest().app.get(OpenSmsWebhookService);
      await waitFor(`inbox ${id} to be dead`, async () => (await inbox.findById(id))?.state === 'dead', 30_000);

      consumer.failing.delete('msg_ingest_console');
      const { cookie, token } = await formToken(`${consoleUrl()}/events/${id}`, authorization);
      const replayed = await postForm(`${consoleUrl()}/events/${id}/replay`, { authorization, cookie }, { _csrf: token });
      expect(replayed.status).toBe(303);
      expect(replayed.headers.get('location')).toBe(`/opensms/events/${id}?done=replayed`);
      await waitFor(`inbox ${id} to be processed`, async () => (await inbox.findById(id))?.state === 'processed', 30_000);
      expect(logs.lines).toContain(`Console: alice replayed inbox ${id}`);
    });

    it('reprocesses for every handler only, not knowing the names: a worker process runs them all again', async () => {
      const stored = await postSigned(`${ingest().url}/webhooks/sms`, smsPayload({ message_id: 'msg_ingest_reprocess' }));
      const id = stored.body.id as string;
      const inbox = ingest().app.get(OpenSmsWebhookService);
      await waitFor(`inbox ${id} to be processed`, async () => (await inbox.findById(id))?.state === 'processed', 30_000);

      const url = `${consoleUrl()}/events?messageId=msg_ingest_reprocess`;
      const { cookie, token } = await formToken(url, authorization);
      const search = await (await fetch(url, { headers: { authorization } })).text();
      expect(search).toContain('This process runs no worker and does not know the handlers: every handler of each event runs again.');
      expect(search).not.toContain('name="handler"');
      const fields = { _csrf: token, messageId: 'msg_ingest_reprocess' };
      const plan = await (await postForm(`${consoleUrl()}/reprocess`, { authorization, cookie }, fields)).text();
      expect(plan).toContain('<strong data-testid="reprocess-events">1</strong>');
      expect(plan).toContain('Every handler of each event runs again.');

      const started = await postForm(`${consoleUrl()}/reprocess/start`, { authorization, cookie }, fields);
      expect(started.status).toBe(303);
      await waitFor('both handlers to run again', () => consumer.runs.filter((run) => run.eventId === id && run.reprocessed).length === 2);
      expect(
        consumer.runs
          .filter((run) => run.reprocessed)
          .map((run) => run.handler)
          .sort(),
      ).toEqual(['ledger', 'notifier']);
    });
  });

  for (const adapter of ['express', 'fastify'] as const) {
    describe(`after failed access, on ${adapter}`, () => {
      const logs = new LogCapture();
      let asked = 0;
      const counting = (request: OpenSmsWebhookConsoleRequest) => {
        asked += 1;
        return authorize(request);
      };
      const scope = useTestApp(`console refusals ${adapter}`, {
        adapter,
        imports: [
          EventEmitterModule.forRoot(),
          OpenSmsWebhookAlertsModule.forRoot({ backlogCheckIntervalMs: 0 }),
          OpenSmsWebhookConsoleModule.register({ authorize: counting, challenge: CHALLENGE }),
        ],
        providers: [ConsoleAlertListener],
        logger: logs,
      });

      it('answers 429 with Retry-After from the 11th wrong token of a client on, without asking authorize; logs the burst once, alerts once', async () => {
        const answers: { status: number; retryAfter: string | null }[] = [];
        for (let n = 0; n < 30; n++) {
          const response = await fetch(`${scope.url}/opensms`, { headers: { authorization: basic('alice', `guess-${n}`) } });
          answers.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
          await response.text();
        }
        expect(answers.map(({ status }) => status)).toEqual([...Array<number>(10).fill(401), ...Array<number>(20).fill(429)]);
        expect(answers.slice(0, 10).every(({ retryAfter }) => retryAfter === null)).toBe(true);
        for (const { retryAfter } of answers.slice(10)) {
          expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
          expect(Number(retryAfter)).toBeLessThanOrEqual(60);
        }
        expect(asked).toBe(10);

        // The right token from the same client is held off too: it is never looked at until the window has passed.
        const right = await fetch(`${scope.url}/opensms`, { headers: { authorization: basic('alice') } });
        expect(right.status).toBe(429);
        expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(await right.text()).not.toContain('OpenSMS inbox');
        expect(asked).toBe(10);

        const refusals = logs.lines.filter((line) => line.startsWith('Console: ') && line.includes('refused'));
        expect(refusals).toHaveLength(1);
        expect(refusals[0]).toContain('127.0.0.1');
        const alerts = scope.app.get(ConsoleAlertListener).refused;
        expect(alerts).toHaveLength(1);
        expect(alerts[0]).toMatchObject({ name: 'opensms.console.access-refused', client: '127.0.0.1', failures: 10, windowMs: 60_000 });
        expect(alerts[0].since).toBeInstanceOf(Date);
      });
    });
  }

  for (const adapter of ['express', 'fastify'] as const) {
    describe(`behind a proxy that ends TLS (trust proxy on), on ${adapter}`, () => {
      const scope = useTestApp(`console tls ${adapter}`, {
        adapter,
        trustProxy: true,
        imports: [OpenSmsWebhookConsoleModule.register({ authorize, challenge: CHALLENGE })],
      });
      const consoleUrl = () => `${scope.url}/opensms`;
      const authorization = basic('alice');

      it('sets a __Host- cookie, Secure, for a request forwarded as https and reads only that name; a plain name over http', async () => {
        const https = { 'x-forwarded-proto': 'https' };
        const page = await fetch(consoleUrl(), { headers: { authorization, ...https } });
        expect(page.status).toBe(200);
        const setCookie = page.headers.get('set-cookie') ?? '';
        expect(setCookie).toMatch(/^__Host-opensms_console_csrf=[\w-]{22}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
        expect(setCookie).not.toMatch(/Domain=/i);
        const cookie = setCookie.split(';')[0];
        const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
        const httpOrigin = new URL(scope.url).origin;
        const httpsOrigin = httpOrigin.replace('http:', 'https:');
        const act = async (action: string, headers: Record<string, string>) =>
          (await postForm(`${consoleUrl()}/${action}`, { authorization, ...headers }, { _csrf: token })).status;

        // The same token under the plain name is not read over TLS.
        expect(await act('pause', { cookie: cookie.replace(/^__Host-/, ''), origin: httpsOrigin, ...https })).toBe(403);
        // Over TLS the console's own origin is the https one.
        expect(await act('pause', { cookie, origin: httpOrigin, ...https })).toBe(403);
        expect(await service(scope).isPaused()).toBe(false);
        expect(await act('pause', { cookie, origin: httpsOrigin, ...https })).toBe(303);
        expect(await service(scope).isPaused()).toBe(true);

        // Over plain HTTP the cookie has the plain name, and a __Host- one is not read.
        const plain = await fetch(consoleUrl(), { headers: { authorization } });
        expect(plain.headers.get('set-cookie')).toMatch(/^opensms_console_csrf=[\w-]{22}\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
        expect(await act('resume', { cookie, origin: httpOrigin })).toBe(403);
        expect(await service(scope).isPaused()).toBe(true);
        expect(await act('resume', { cookie, origin: httpsOrigin, ...https })).toBe(303);
        expect(await service(scope).isPaused()).toBe(false);
      });
    });
  }

  describe('in a browser', () => {
    const logs = new LogLines();
    const consumer = new ConsoleConsumer();
    const scope = useTestApp('console browser', {
      options: { job: { attempts: 2 } },
      providers: [{ provide: ConsoleConsumer, useValue: consumer }],
      imports: [OpenSmsWebhookConsoleModule.register({ authorize, challenge: CHALLENGE, pageSize: 3 })],
      logger: logs,
    });
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const consoleUrl = () => `${scope.url}/opensms`;

    beforeAll(async () => {
      browser = await launchBrowser();
      context = await browser.newContext({ httpCredentials: { username: 'alice', password: TOKEN } });
      page = await context.newPage();
    });

    afterAll(async () => {
      await browser?.close();
    });

    it('shows nothing without credentials', async () => {
      const anonymous = await browser.newContext();
      try {
        const visit = await anonymous.newPage();
        const denied = visit.waitForResponse((answer) => answer.url() === consoleUrl());
        // NOTE: Chromium's headless mode answers the 401's challenge as a user dismissing the password prompt
        // (the navigation fails); its headless shell (the npm-shipped one) shows the 401's page instead.
        await visit.goto(consoleUrl()).catch((error: Error) => expect(error.message).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/));
        expect((await denied).status()).toBe(401);
        expect((await denied).headers()['www-authenticate']).toBe(CHALLENGE);
        // NOTE: after a failed navigation Chromium goes on to its error page: read the page once it holds still.
        let shown = '';
        await waitFor('the page after the refusal', () =>
          visit.content().then(
            (content) => ((shown = content), true),
            () => false,
          ),
        );
        expect(shown).not.toContain('OpenSMS inbox');
        const response = await anonymous.request.get(consoleUrl());
        expect(response.status()).toBe(401);
        expect(await response.text()).not.toContain('OpenSMS inbox');
      } finally {
        await anonymous.close();
      }
    });

    it('finds a message, opens its dead event, replays it and sees it processed', async () => {
      consumer.failing.add('msg_browser_1');
      const id = await post(scope, { event: 'sms.failed', message_id: 'msg_browser_1', phone: '+254700000001' });
      await waitForState(scope, id, 'dead');

      await page.goto(consoleUrl());
      await expect(page.getByTestId('count-dead').textContent()).resolves.toBe('1');
      await page.getByRole('link', { name: 'Search', exact: true }).click();
      await page.getByLabel('Message id').fill('msg_browser_1');
      await page.getByRole('button', { name: 'Search' }).click();
      const rows = page.getByTestId('events').locator('tbody tr');
      await expect(rows.count()).resolves.toBe(1);

      await rows.first().getByRole('link', { name: 'sms.failed' }).click();
      expect(page.url()).toBe(`${consoleUrl()}/events/${id}`);
      await expect(page.getByTestId('state').textContent()).resolves.toBe('dead');
      await expect(page.getByTestId('last-error').textContent()).resolves.toContain('Notification service refused message msg_browser_1');
      expect(JSON.parse((await page.getByTestId('payload').textContent()) ?? '')).toMatchObject({ message_id: 'msg_browser_1' });
      await expect(page.getByTestId('headers').textContent()).resolves.toContain('webhook-id');

      consumer.failing.delete('msg_browser_1');
      await page.getByRole('button', { name: 'Replay this event' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toContain('Replayed');
      await waitFor('the page to show the event processed', async () => {
        await page.reload();
        return (await page.getByTestId('state').textContent()) === 'processed';
      });
      const handlers = await page.getByTestId('handler-runs').textContent();
      expect(handlers).toContain('ConsoleConsumer.ledger');
      expect(handlers).toContain('ConsoleConsumer.notifier');
      expect(logs.lines).toContain(`Console: alice replayed inbox ${id}`);
    });

    it('shows a payload and headers carrying markup as text, and runs none of it', async () => {
      const attack = `<script>window.__opensmsXss = 1</script><img src=x onerror="window.__opensmsXss = 2">`;
      const payload = smsPayload({ event: 'sms.failed', message_id: 'msg_xss', error: attack });
      const signed = signWebhook(payload, TEST_SECRET);
      const response = await postRaw(scope.endpoint, signed.body, { ...signed.headers, 'user-agent': `agent ${attack}` });
      expect(response.status).toBe(200);
      const id = response.body.id as string;

      let dialogs = 0;
      page.on('dialog', (dialog) => {
        dialogs += 1;
        void dialog.dismiss();
      });
      await page.goto(`${consoleUrl()}/events/${id}`);
      await expect(page.getByTestId('payload').textContent()).resolves.toContain(JSON.stringify(attack).slice(1, -1));
      await expect(page.getByText(attack, { exact: true }).first().isVisible()).resolves.toBe(true);
      await expect(page.getByTestId('headers').textContent()).resolves.toContain(`agent ${attack}`);
      await expect(page.evaluate(() => (globalThis as { __opensmsXss?: number }).__opensmsXss)).resolves.toBeUndefined();
      await expect(page.locator('main img, main script').count()).resolves.toBe(0);
      expect(dialogs).toBe(0);
    });

    it('shows a message timeline in received order and by timestamp, with the stale event', async () => {
      const delivered = await post(scope, { event: 'sms.delivered', message_id: 'msg_story', timestamp: '2024-01-13T12:00:10Z' });
      await waitForState(scope, delivered, 'processed');
      const late = await post(scope, { event: 'sms.pending', message_id: 'msg_story', timestamp: '2024-01-13T12:00:00Z' });
      await waitForState(scope, late, 'processed');

      await page.goto(`${consoleUrl()}/events/${late}`);
      await expect(page.locator('h1').textContent()).resolves.toContain('stale');
      await page.getByRole('link', { name: 'msg_story' }).click();
      const tables = page.getByTestId('timeline');
      const received = await tables.nth(0).locator('tbody tr').allTextContents();
      const byTimestamp = await tables.nth(1).locator('tbody tr').allTextContents();
      expect(received.map((row) => row.includes('sms.pending'))).toEqual([false, true]);
      expect(byTimestamp.map((row) => row.includes('sms.pending'))).toEqual([true, false]);
      expect(received.map((row) => row.includes('stale'))).toEqual([false, true]);
    });

    it('marks stale in a timeline the events whose handlers saw ctx.stale, also at equal timestamps', async () => {
      // At one timestamp a final event wins over a pending: a pending after it is stale, a pending before it is not.
      const timestamp = '2024-01-14T08:00:00Z';
      const orders = { msg_tie_final_first: ['sms.delivered', 'sms.pending'], msg_tie_pending_first: ['sms.pending', 'sms.delivered'] };
      for (const [messageId, events] of Object.entries(orders)) {
        const ids: string[] = [];
        for (const event of events) {
          ids.push(await post(scope, { event, message_id: messageId, timestamp }));
          await waitForState(scope, ids.at(-1) ?? '', 'processed');
        }

        await page.goto(`${consoleUrl()}/messages/${messageId}`);
        const shown = await page.getByTestId('timeline').nth(0).locator('tbody td[data-label="Stale"]').allTextContents();
        const seen = ids.map((id) => consumer.staleSeen.get(id));
        expect(shown.map((text) => text === 'stale')).toEqual(seen);
        expect(seen).toEqual(messageId === 'msg_tie_final_first' ? [false, true] : [false, false]);
      }
    });

    it('pages through a search, newest first', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        ids.push(await post(scope, { message_id: `msg_page_${index}`, phone: '+254700000555', timestamp: `2024-01-13T12:00:0${index}Z` }));
      }
      await page.goto(`${consoleUrl()}/events?phone=%2B254700000555`);
      const shown: string[] = [];
      for (;;) {
        shown.push(...(await page.getByTestId('events').locator('tbody tr td:nth-child(3)').allTextContents()));
        const older = page.getByRole('link', { name: 'Older →' });
        if ((await older.count()) === 0) break;
        await older.click();
      }
      expect(shown).toEqual(['msg_page_4', 'msg_page_3', 'msg_page_2', 'msg_page_1', 'msg_page_0']);
    });

    it('replays every dead event of a search after a confirmation with their count', async () => {
      const ids: string[] = [];
      for (const messageId of ['msg_bulk_1', 'msg_bulk_2']) {
        consumer.failing.add(messageId);
        ids.push(await post(scope, { message_id: messageId, phone: '+254700000777' }));
      }
      consumer.failing.add('msg_bulk_other');
      const other = await post(scope, { message_id: 'msg_bulk_other', phone: '+254700000888' });
      for (const id of [...ids, other]) await waitForState(scope, id, 'dead');

      await page.goto(`${consoleUrl()}/events?phone=%2B254700000777&state=dead`);
      await page.getByRole('link', { name: 'Replay the dead events of this search…' }).click();
      await expect(page.getByTestId('dead-count').textContent()).resolves.toBe('2');
      for (const messageId of ['msg_bulk_1', 'msg_bulk_2']) consumer.failing.delete(messageId);
      await page.getByRole('button', { name: 'Replay 2 dead event(s)' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toBe('Replayed 2 dead event(s).');
      for (const id of ids) await waitForState(scope, id, 'processed');
      expect((await service(scope).findById(other))?.state).toBe('dead');
      expect(
        logs.lines.some((line) => line.startsWith('Console: alice replayed 2 dead event(s) matching') && line.includes('+254700000777')),
      ).toBe(true);
    });

    it('reprocesses a search for the handler ticked, after its plan, and shows the run', async () => {
      const id = await post(scope, { message_id: 'msg_browser_reprocess' });
      await waitForState(scope, id, 'processed');

      await page.goto(`${consoleUrl()}/events?messageId=msg_browser_reprocess`);
      await page.getByText('Reprocess the events of this search…').click();
      await page.getByLabel('ConsoleConsumer.notifier').check();
      await page.getByRole('button', { name: 'Show the plan' }).click();
      await expect(page.getByTestId('reprocess-events').textContent()).resolves.toBe('1');
      await expect(page.getByTestId('reprocess-handlers').textContent()).resolves.toContain('ConsoleConsumer.notifier');
      await page.getByRole('button', { name: 'Reprocess 1 event(s)' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toBe('Reprocessing started.');
      await waitFor('the notifier to run again', () => consumer.runs.some((run) => run.eventId === id && run.reprocessed));
      await waitFor('the page to show the event queued', async () => {
        await page.reload();
        return ((await page.getByTestId('reprocess-progress').textContent()) ?? '').startsWith('Queued: 1 of 1');
      });
      expect(consumer.runs.filter((run) => run.eventId === id && run.reprocessed).map((run) => run.handler)).toEqual(['notifier']);
    });

    it('pauses and resumes processing', async () => {
      await page.goto(consoleUrl());
      await page.getByRole('button', { name: 'Pause processing' }).click();
      await expect(page.getByTestId('processing').textContent()).resolves.toBe('Paused');
      expect(await service(scope).isPaused()).toBe(true);

      const id = await post(scope, { message_id: 'msg_while_paused' });
      await page.reload();
      await expect(page.getByTestId('backlog').textContent()).resolves.not.toBe('0');
      expect((await service(scope).findById(id))?.state).toBe('received');

      await page.getByRole('button', { name: 'Resume processing' }).click();
      await expect(page.getByTestId('processing').textContent()).resolves.toBe('Running');
      await waitForState(scope, id, 'processed');
      expect(logs.lines).toEqual(expect.arrayContaining(['Console: alice paused processing', 'Console: alice resumed processing']));
    });
  });
});

function service(scope: TestAppScope): OpenSmsWebhookService {
  return scope.app.get(OpenSmsWebhookService);
}

async function post(scope: TestAppScope, fields: Record<string, unknown>): Promise<string> {
  const response = await postSigned(scope.endpoint, smsPayload(fields));
  expect(response.status).toBe(200);
  return response.body.id as string;
}

/** A stored event of `messageId` that its handler failed until it was dead. */
async function deadEvent(scope: TestAppScope, consumer: ConsoleConsumer, messageId: string): Promise<string> {
  consumer.failing.add(messageId);
  const id = await post(scope, { message_id: messageId });
  await waitForState(scope, id, 'dead');
  return id;
}

async function waitForState(scope: TestAppScope, id: string, state: SmsEventState): Promise<void> {
  await waitFor(`inbox ${id} to be ${state}`, async () => (await service(scope).findById(id))?.state === state, 30_000);
}
