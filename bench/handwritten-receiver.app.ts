import {
  Controller,
  HttpCode,
  HttpStatus,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  Post,
  type RawBodyRequest,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { Column, type DataSourceOptions, Entity, PrimaryGeneratedColumn, type Repository } from 'typeorm';
import { BENCH } from './bench.config';
import { type BenchStore, bullOptionsOf } from './bench-store-config';

/** Table of {@link HandwrittenEvent}. */
export const HANDWRITTEN_EVENTS_TABLE = 'bench_handwritten_events';
/** The hand-written receiver's BullMQ queue, which the hand-written worker takes its jobs from. */
export const HANDWRITTEN_QUEUE = 'bench-handwritten';

/** The row a hand-written receiver keeps per webhook call; the hand-written worker marks it processed. */
@Entity(HANDWRITTEN_EVENTS_TABLE)
export class HandwrittenEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'webhook_id', type: 'text', unique: true })
  webhookId: string;

  @Column({ type: 'jsonb' })
  payload: unknown;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  /** `received`, then `processed`. */
  @Column({ type: 'text', default: 'received' })
  state: string;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;
}

/** The hand-written receiver's TypeORM options on a store (`synchronize`: the table is the entity). */
export function handwrittenDatabaseOptions(store: BenchStore): DataSourceOptions {
  return {
    type: 'postgres',
    url: BENCH.databaseUrl,
    schema: store.schema,
    entities: [HandwrittenEvent],
    synchronize: true,
    extra: { max: BENCH.poolSize },
  };
}

const STORE = Symbol('BENCH_STORE');

/** The BullMQ queue of the hand-written receiver, closed at shutdown. */
@Injectable()
class HandwrittenQueue implements OnApplicationShutdown {
  readonly queue: Queue;

  constructor(@Inject(STORE) store: BenchStore) {
    const { options, backend } = bullOptionsOf(store);
    this.queue = new Queue(HANDWRITTEN_QUEUE, options, backend);
  }

  onApplicationShutdown(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * What a NestJS user would write by hand to do the same durable work per request: verify with
 * the `standardwebhooks` package, `repository.insert()`, `queue.add()`, then 200.
 */
@Controller(BENCH.path.slice(1))
class HandwrittenWebhookController {
  private readonly webhook = new Webhook(BENCH.secret);

  constructor(
    @InjectRepository(HandwrittenEvent) private readonly events: Repository<HandwrittenEvent>,
    private readonly jobs: HandwrittenQueue,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  async receive(@Req() request: RawBodyRequest<{ headers: Record<string, string> }>) {
    let payload: unknown;
    try {
      payload = this.webhook.verify(request.rawBody!, request.headers);
    } catch {
      throw new UnauthorizedException();
    }
    const { identifiers } = await this.events.insert({ webhookId: request.headers['webhook-id'], payload: payload as object });
    const id = identifiers[0].id as string;
    await this.jobs.queue.add('dispatch', { eventId: id }, { jobId: id, removeOnComplete: 1000 });
    return { status: 'received', id, duplicate: false };
  }
}

/** The hand-written receiver's root module, on the benchmark's database and the store's queue backend. */
export function handwrittenAppModule(store: BenchStore) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...handwrittenDatabaseOptions(store), retryAttempts: 0 }),
      TypeOrmModule.forFeature([HandwrittenEvent]),
    ],
    controllers: [HandwrittenWebhookController],
    providers: [{ provide: STORE, useValue: store }, HandwrittenQueue],
  })
  class HandwrittenAppModule {}
  return HandwrittenAppModule;
}
