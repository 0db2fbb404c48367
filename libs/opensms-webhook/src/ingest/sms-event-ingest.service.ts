import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import { eventSourceOf } from '../events/sms-events';
import { type InboxRecord, SmsEventWriter, type StoredRecord } from '../inbox/sms-event.writer';
import { OPENSMS_RESOLVED_OPTIONS, STORED_HEADERS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { SmsEventRelayNotifier } from '../queue/sms-event-relay.notifier';
import { InboxUnavailableError } from '../errors/inbox-unavailable.error';
import { IngestOverloadedError } from '../errors/ingest-overloaded.error';
import { withTimeout } from '../internal/with-timeout';
import { MicroBatcher } from '../internal/micro-batcher';
import { ThrottledWarning } from '../internal/throttled-warning';
import { headerValue, type WebhookRequestHeaders } from './webhook-request';
import { parseSmsEventPayload } from './sms-event-payload.parser';

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
 * the row). Beyond `ingestQueueLimit` calls waiting for the inbox, new calls are refused at once.
 */
@Injectable()
export class SmsEventIngestService {
  private readonly logger = new Logger('OpenSmsWebhook');
  private readonly overload = new ThrottledWarning(this.logger);
  private readonly writer: MicroBatcher<InboxRecord, StoredRecord>;

  constructor(
    private readonly inbox: SmsEventWriter,
    private readonly relay: SmsEventRelayNotifier,
    @Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions,
  ) {
    this.writer = new MicroBatcher((records) => this.inbox.store(records), 100, 4, options.ingestQueueLimit);
  }

  async receive(rawBody: Buffer, headers: WebhookRequestHeaders): Promise<SmsEventReceipt> {
    const parsed = parseSmsEventPayload(rawBody);
    const keptHeaders = pickStoredHeaders(headers);

    if (!parsed.valid) {
      const id = await this.durably(() =>
        this.inbox.storeInvalid({
          ...emptyRecord(),
          event: eventNameOf(parsed.payload),
          payload: parsed.payload,
          headers: keptHeaders,
          state: 'invalid',
          lastError: parsed.problems.join('; '),
        }),
      );
      this.logger.warn(messages.invalid(id, parsed.problems));
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Invalid webhook payload',
        problems: parsed.problems,
        id,
      });
    }

    const { dto, payload } = parsed;
    if (this.writer.isFull) {
      this.overload.warn(messages.overloaded(this.options.ingestQueueLimit));
      throw new IngestOverloadedError(this.options.ingestQueueLimit);
    }
    const stored = await this.durably(() =>
      this.writer.add({
        ...eventSourceOf(dto, payload),
        dedupeKey: this.options.dedupeKey(payload),
        headers: keptHeaders,
        state: 'received',
        lastError: null,
      }),
    );
    this.logger.log(messages.received(stored.id, dto.event, dto.message_id ?? null, stored.duplicate));
    if (!stored.duplicate) this.relay.notify();
    return { status: 'received', id: stored.id, duplicate: stored.duplicate };
  }

  /** Runs an inbox write, turning any failure or a wait beyond `storeTimeoutMs` into a 503. */
  private async durably<T>(write: () => Promise<T>): Promise<T> {
    const { storeTimeoutMs } = this.options;
    try {
      return await withTimeout(write(), storeTimeoutMs, `no answer within ${storeTimeoutMs} ms`);
    } catch (error) {
      this.logger.error(messages.storeFailed(error));
      throw new InboxUnavailableError(error);
    }
  }
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

function emptyRecord(): Omit<InboxRecord, 'event' | 'payload' | 'headers' | 'state' | 'lastError'> {
  return { dedupeKey: null, messageId: null, phone: null, status: null, error: null, occurredAt: null };
}
