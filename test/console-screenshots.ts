/**
 * `npm run console:screenshots`: starts a host app with the console on a schema of its own, sends a
 * short story of signed events, and saves the console page's screenshots of the overview and of a dead
 * event's page to docs/ (with `--phone`, also phone-sized ones to /tmp). Drops its schema and queue
 * keys afterwards. Needs the same PostgreSQL, Redis and Chromium as the tests.
 */
import { OpenSmsWebhookService, type SmsEventState } from '@opensms/nestjs-webhooks';
import { OpenSmsWebhookConsoleModule } from '@opensms/nestjs-webhooks/console';
import path from 'node:path';
import { ConsoleConsumer } from './fixtures/console.consumer';
import { launchBrowser } from './support/browser';
import { clearQueuePrefix, startTestApp, waitFor } from './support/test-app';
import { createSchema, dropSchema, uniqueName } from './support/test-database';
import { postRaw, postSigned, smsPayload } from './support/webhook-client';

const TOKEN = 'screenshots';
const DOCS = path.resolve(__dirname, '..', 'docs');

async function main(): Promise<void> {
  const schema = uniqueName('console screenshots');
  await createSchema(schema);
  const consumer = new ConsoleConsumer();
  const { app, url } = await startTestApp({
    schema,
    queuePrefix: schema,
    options: { job: { attempts: 1 } },
    providers: [{ provide: ConsoleConsumer, useValue: consumer }],
    imports: [
      OpenSmsWebhookConsoleModule.register({
        authorize: (request) => (request.headers.authorization === `Bearer ${TOKEN}` ? 'amina@example.com' : false),
      }),
    ],
  });
  const browser = await launchBrowser();
  try {
    const service = app.get(OpenSmsWebhookService);
    const send = async (fields: Record<string, unknown>, state: SmsEventState): Promise<string> => {
      const response = await postSigned(`${url}/webhooks/sms`, smsPayload(fields));
      const id = response.body.id as string;
      await waitFor(`${id} ${state}`, async () => (await service.findById(id))?.state === state);
      return id;
    };
    await send({ event: 'sms.pending', message_id: 'msg_7Q2K9', phone: '+254712345678', timestamp: '2025-11-30T09:14:02Z' }, 'processed');
    await send({ event: 'sms.delivered', message_id: 'msg_7Q2K9', phone: '+254712345678', timestamp: '2025-11-30T09:14:09Z' }, 'processed');
    await send({ event: 'sms.delivered', message_id: 'msg_3HV8T', phone: '+447700900123', timestamp: '2025-11-30T09:15:40Z' }, 'processed');
    await send({ event: 'sms.pending', message_id: 'msg_3HV8T', phone: '+447700900123', timestamp: '2025-11-30T09:15:31Z' }, 'processed');
    consumer.failing.add('msg_9XW4C');
    const dead = await send(
      {
        event: 'sms.failed',
        message_id: 'msg_9XW4C',
        phone: '+15555550123',
        error: 'Carrier rejected: number unreachable',
        timestamp: '2025-11-30T09:16:05Z',
      },
      'dead',
    );
    await send({ event: 'sms.pending', message_id: 'msg_9XW4C', phone: '+15555550123', timestamp: '2025-11-30T09:16:01Z' }, 'dead');
    await send(
      { event: 'sms.queued', message_id: 'msg_5PL0D', phone: '+254700111222', status: 'queued', timestamp: '2025-11-30T09:16:30Z' },
      'processed',
    );
    await postRaw(`${url}/webhooks/sms`, '{}', {}); // unsigned: refused, not stored
    await service.pause();
    await send({ event: 'sms.delivered', message_id: 'msg_8MN2R', phone: '+254733444555', timestamp: '2025-11-30T09:17:12Z' }, 'received');

    const context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    await page.goto(`${url}/opensms`);
    await page.screenshot({ path: path.join(DOCS, 'console-overview.png'), fullPage: true });
    await page.goto(`${url}/opensms/events/${dead}`);
    await page.screenshot({ path: path.join(DOCS, 'console-event.png'), fullPage: true });
    if (process.argv.includes('--phone')) {
      const phone = await browser.newContext({
        extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
        viewport: { width: 390, height: 844 },
        isMobile: true,
      });
      const small = await phone.newPage();
      for (const [name, target] of [
        ['overview', '/opensms'],
        ['event', `/opensms/events/${dead}`],
        ['search', '/opensms/events'],
        ['timeline', '/opensms/messages/msg_9XW4C'],
      ]) {
        await small.goto(`${url}${target}`);
        await small.screenshot({ path: `/tmp/console-phone-${name}.png`, fullPage: true });
      }
    }
    console.log(`Saved ${path.join(DOCS, 'console-overview.png')} and ${path.join(DOCS, 'console-event.png')}`);
  } finally {
    await browser.close();
    await app.close();
    await clearQueuePrefix(schema);
    await dropSchema(schema);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
