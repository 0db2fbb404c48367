import type { INestApplication } from '@nestjs/common';
import { createExampleApp } from '../src/app.factory';
import { validateAppConfig } from '../src/config/app.config';
import { InvalidAppConfigError } from '../src/config/invalid-app-config.error';
import { exampleAppEnvironment } from './support/example-app-environment';
import { clearQueuePrefix } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

const TOKEN = 'example-console-token-0123';

describe('example app: the inbox console behind OPENSMS_CONSOLE_TOKEN', () => {
  const schema = uniqueName('example_console');
  const apps: INestApplication[] = [];

  async function start(extra: Record<string, string>): Promise<string> {
    const { app } = await createExampleApp({ environment: exampleAppEnvironment(schema, extra), logger: ['error'] });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  beforeAll(() => createSchema(schema));

  afterAll(async () => {
    for (const app of apps) await app.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  });

  it('serves the console to the token, as a Basic password or a Bearer token, and asks everyone else for it', async () => {
    const url = await start({ OPENSMS_CONSOLE_TOKEN: TOKEN });
    expect((await postSigned(`${url}/webhooks/sms`, smsPayload({ message_id: 'msg_example_console' }))).status).toBe(200);
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    const anonymous = await fetch(`${url}/opensms/events?messageId=msg_example_console`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="OpenSMS console"');
    expect(await anonymous.text()).not.toContain('msg_example_console');
    for (const authorization of [basic('ops', `${TOKEN}x`), `Bearer ${TOKEN.slice(1)}`, TOKEN]) {
      expect((await fetch(`${url}/opensms`, { headers: { authorization } })).status).toBe(401);
    }

    const page = await fetch(`${url}/opensms/events?messageId=msg_example_console`, { headers: { authorization: basic('ops', TOKEN) } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain('msg_example_console');
    expect(body).toContain('Signed in as ops');
    expect((await fetch(`${url}/opensms`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('accepts a form of one process in another with the same token, and refuses it where the token differs', async () => {
    const [first, second, other] = [
      await start({ OPENSMS_CONSOLE_TOKEN: TOKEN }),
      await start({ OPENSMS_CONSOLE_TOKEN: TOKEN }),
      await start({ OPENSMS_CONSOLE_TOKEN: `${TOKEN}-other` }),
    ];
    const page = await fetch(`${first}/opensms`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const act = (url: string, action: string, consoleToken: string) =>
      fetch(`${url}/opensms/${action}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { authorization: `Bearer ${consoleToken}`, cookie, origin: url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token }).toString(),
      });
    const processing = async () => {
      const overview = await (await fetch(`${first}/opensms`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      return /data-testid="processing">([^<]+)</.exec(overview)?.[1];
    };

    expect((await act(other, 'pause', `${TOKEN}-other`)).status).toBe(403);
    expect(await processing()).toBe('Running');
    const paused = await act(second, 'pause', TOKEN);
    expect(paused.status).toBe(303);
    expect(paused.headers.get('location')).toBe('/opensms?done=paused');
    expect(await processing()).toBe('Paused');
    expect((await act(second, 'resume', TOKEN)).status).toBe(303);
    expect(await processing()).toBe('Running');
  });

  it('has no console without a token', async () => {
    const url = await start({});
    expect((await fetch(`${url}/opensms`)).status).toBe(404);
  });

  it('refuses a token shorter than 16 characters', () => {
    expect(() => validateAppConfig(exampleAppEnvironment(schema, { OPENSMS_CONSOLE_TOKEN: 'short' }))).toThrow(InvalidAppConfigError);
    expect(() => validateAppConfig(exampleAppEnvironment(schema, { OPENSMS_CONSOLE_TOKEN: 'short' }))).toThrow(
      /OPENSMS_CONSOLE_TOKEN must be at least 16/,
    );
  });
});
