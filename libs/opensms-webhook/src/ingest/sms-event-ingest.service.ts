import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import { eventSourceOf } from '../events/sms-events';
import { isRowRefused } from '../inbox/postgres-error';
import { type FailedRecord, type InboxRecord, SmsEventWriter, type StoredRecord } from '../inbox/sms-event.writer';
import { OPENSMS_RESOLVED_OPTIONS, STORED_HEADERS } from '../opensms-webhook.constants';
import { describeError, messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsEventRelayNotifier } from '../queue/sms-event-relay.notifier';
import { InboxUnavailableError } from '../errors/inbox-unavailable.error';
import { IngestOverloadedError } from '../errors/ingest-overloaded.error';
import { withTimeout } from '../internal/with-timeout';
import { MicroBatcher } from '../internal/micro-batcher';
import { FailureBurst } from '../internal/failure-burst';
import type { WebhookRequestHeaders } from '../opensms-webhook-verifier.interface';
import type { VerifiedWebhookCall } from './webhook-call';
import { headerValue } from './webhook-request';
import { deliveryKeyOf, tenantDedupeKey } from './dedupe-key';
import { parseSmsEventPayload } from './sms-event-payload.parser';
import { type IngestTrace, UNTRACED_INGEST } from '../tracing/sms-webhook.traces';

/** The answer to an accepted call. */
export interface SmsEventReceipt {
  status: 'received';
  /** Inbox row id. */
  id: string;
  /** `true` when this event had already been received; it is not processed again. */
  duplicate: boolean;
}

/**
 * Turns a verified call into a durable inbox row. The receipt is only returned once the row is
 * committed; the queue is not touched on the request path (the relay of a worker process queues
 * the row). Beyond `ingest.maxPendingCalls` calls waiting for the inbox, new calls are refused at once.
 */
@Injectable()
export class SmsEventIngestService {
  private readonly logger = new Logger('OpenSmsWebhook');
  private readonly overload = new FailureBurst(this.logger);
  private readonly writer: MicroBatcher<InboxRecord, StoredRecord | FailedRecord>;

  constructor(
    private readonly inbox: SmsEventWriter,
    private readonly relay: SmsEventRelayNotifier,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {
    this.writer = new MicroBatcher((records) => this.inbox.store(records), 100, 4, options.ingest.maxPendingCalls);
  }

  /** Milliseconds the longest-waiting call has waited for its inbox insert to be sent; 0 when none waits. */
  get inboxWaitMs(): number {
    return this.writer.oldestWaitMs;
  }

  /**
   * Stores a verified call and answers it.
   * @param verified what the signature check established: the raw body, the tenant, the delivery id
   * @param trace the call's span: the store runs in a child of it, and its context is stored on the row
   */
  async receive(
    verified: VerifiedWebhookCall,
    headers: WebhookRequestHeaders,
    trace: IngestTrace = UNTRACED_INGEST,
  ): Promise<SmsEventReceipt> {
    const { rawBody, tenant } = verified;
    const parsed = parseSmsEventPayload(rawBody);
    const keptHeaders = pickStoredHeaders(headers);
    const refuse = (payload: unknown, problems: string[]) => this.storeInvalid(verified, payload, keptHeaders, problems, trace);
    if (!parsed.valid) return refuse(parsed.payload, parsed.problems);

    const { dto, payload } = parsed;
    trace.describe(dto.event, dto.message_id ?? null);
    const dedupeKey = this.dedupeKeyOf(payload);
    if (!dedupeKey.valid) return refuse(payload, [dedupeKey.problem]);

    if (this.writer.isFull) {
      this.overload.warn(messages.overloaded(this.options.ingest.maxPendingCalls));
      throw new IngestOverloadedError(this.options.ingest.maxPendingCalls);
    }
    const record: InboxRecord = {
      ...eventSourceOf(dto, payload),
      dedupeKey: tenantDedupeKey(tenant, dedupeKey.key),
      deliveryKey: null,
      tenant,
      headers: keptHeaders,
      lastError: null,
      traceContext: trace.carrier(),
    };
    const outcome = await trace.step('store', () => this.durably(() => this.writer.add(record)));
    if ('error' in outcome) {
      if (!isRowRefused(outcome.error)) this.unavailable(outcome.error);
      return refuse(storableText(rawBody), [`the database refused to store the call: ${describeError(outcome.error)}`]);
    }
    this.logger.log(messages.received(outcome.id, dto.event, dto.message_id ?? null, outcome.duplicate));
    if (!outcome.duplicate) this.relay.notify();
    return { status: 'received', id: outcome.id, duplicate: outcome.duplicate };
  }

  /** Keeps a signed call that cannot be accepted as `invalid` (once per delivery) and answers 400. */
  private async storeInvalid(
    { rawBody, tenant, deliveryId }: VerifiedWebhookCall,
    payload: unknown,
    keptHeaders: Record<string, string>,
    problems: string[],
    trace: IngestTrace,
  ): Promise<never> {
    const record: InboxRecord = {
      ...emptyRecord(),
      deliveryKey: deliveryKeyOf(tenant, deliveryId, rawBody),
      tenant,
      event: eventNameOf(payload),
      payload,
      headers: keptHeaders,
      lastError: problems.join('; '),
      traceContext: trace.carrier(),
    };
    const id = await trace.step('store', () => this.durably(() => this.inbox.storeInvalid(record)));
    this.logger.warn(messages.invalid(id, problems));
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid webhook payload',
      problems,
      id,
    });
  }

  /** The configured `dedupeKey` of a payload, or why it has none (a bug of the function, answered 400). */
  private dedupeKeyOf(payload: Record<string, unknown>): { valid: true; key: string } | { valid: false; problem: string } {
    let key: unknown;
    try {
      key = this.options.ingest.dedupeKey(payload);
    } catch (error) {
      return { valid: false, problem: `dedupeKey threw: ${describeError(error)}` };
    }
    if (typeof key !== 'string' || key.length === 0) {
      return {
        valid: false,
        problem: `dedupeKey must return a non-empty string (returned ${key === '' ? 'an empty string' : typeof key})`,
      };
    }
    if (key.length > MAX_DEDUPE_KEY_LENGTH) {
      return { valid: false, problem: `dedupeKey returned a key longer than ${MAX_DEDUPE_KEY_LENGTH} characters; hash it` };
    }
    return { valid: true, key };
  }

  /** Runs an inbox write, turning any failure or a wait beyond `ingest.storeTimeoutMs` into a 503. */
  private async durably<T>(write: () => Promise<T>): Promise<T> {
    const { storeTimeoutMs } = this.options.ingest;
    try {
      return await withTimeout(write(), storeTimeoutMs, `no answer within ${storeTimeoutMs} ms`);
    } catch (error) {
      this.unavailable(error);
    }
  }

  private unavailable(error: unknown): never {
    this.logger.error(messages.storeFailed(error));
    throw new InboxUnavailableError(error);
  }
}

/** Longest key a custom `dedupeKey` may return (PostgreSQL indexes only keys of a few KiB). */
const MAX_DEDUPE_KEY_LENGTH = 1000;

/** The body as text PostgreSQL can store whatever it holds: NUL becomes U+FFFD. */
function storableText(rawBody: Buffer): string {
  return rawBody.toString('utf8').replace(/\u0000/g, '\ufffd');
}

function pickStoredHeaders(headers: WebhookRequestHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = headerValue(headers, name);
    if (value !== undefined) kept[name] = value.slice(0, 512);
  }
  return kept;
}

function eventNameOf(payload: unknown): string {
  const event = (payload as { event?: unknown } | null)?.event;
  return typeof event === 'string' ? event.slice(0, 100) : '(unparsed)';
}

function emptyRecord(): Omit<InboxRecord, 'event' | 'payload' | 'headers' | 'lastError' | 'deliveryKey' | 'tenant' | 'traceContext'> {
  return { dedupeKey: null, messageId: null, phone: null, status: null, error: null, occurredAt: null };
}
