import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { OpenSmsWebhookService } from '@opensms/nestjs-webhooks';
import { createRedisBackend, getDefaultBackendFactory, type Job, type Queue } from 'bullmq';
import { RecordingConsumer } from './fixtures/recording.consumer';
import { type RedisServerProcess, startRedisServer } from './support/redis-server';
import { useTestApp, waitFor } from './support/test-app';
import { dropSchema, TEST_DATABASE_URL } from './support/test-database';
import { postSigned, smsPayload } from './support/webhook-client';

const HOST_QUEUE = 'host-invoices';

/** The host's own BullMQ worker, through @nestjs/bullmq. */
@Processor(HOST_QUEUE)
class InvoiceProcessor extends WorkerHost {
  readonly done: string[] = [];

  async process(job: Job<{ invoice: string }>): Promise<string> {
    this.done.push(job.data.invoice);
    return job.data.invoice;
  }
}

@Injectable()
class InvoiceSender {
  constructor(@InjectQueue(HOST_QUEUE) readonly queue: Queue) {}
}

describe("a host's own @nestjs/bullmq queue next to the library on the PostgreSQL queue backend", () => {
  let redis: RedisServerProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  const host = useTestApp('host_queue', () => ({
    providers: [RecordingConsumer, InvoiceProcessor, InvoiceSender],
    imports: [BullModule.forRoot({ connection: { host: '127.0.0.1', port: redis.port } }), BullModule.registerQueue({ name: HOST_QUEUE })],
    options: {
      queue: {
        backend: 'postgres',
        postgres: { connectionString: TEST_DATABASE_URL, schema: queueSchema() },
        // Nothing listens there: the library's jobs can only go through PostgreSQL.
        connection: { host: '127.0.0.1', port: 1 },
      },
    },
  }));
  const queueSchema = () => `${host.schema}_bullmq`;

  // NOTE: declared after the app, so that the app has closed before its Redis goes away.
  afterAll(async () => {
    await redis?.stop();
    await dropSchema(queueSchema());
  });

  it('runs its jobs on its own Redis, while the library dispatches through PostgreSQL; nothing global changed', async () => {
    const queue = host.app.get(InvoiceSender).queue;
    await queue.add('send', { invoice: 'inv_1' });

    const response = await postSigned(host.endpoint, smsPayload({ event: 'sms.failed', message_id: 'msg_host_queue' }));
    expect(response.status).toBe(200);

    await waitFor('the host job done', () => host.app.get(InvoiceProcessor).done.includes('inv_1'));
    const service = host.app.get(OpenSmsWebhookService);
    await waitFor('the event processed', async () => (await service.findById(response.body.id))?.state === 'processed');

    expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
    expect(queue.getBackend().constructor.name).toBe('RedisQueueBackend');
    expect(getDefaultBackendFactory()).toBe(createRedisBackend);
    expect(
      host.app
        .get(RecordingConsumer)
        .calls.map((call) => call.handler)
        .sort(),
    ).toEqual(['*', 'failed']);
  });
});
