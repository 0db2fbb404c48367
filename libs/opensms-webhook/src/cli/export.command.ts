import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { SmsEventFilter, SmsEventQueries, SmsEventRecord } from '../inbox/sms-event.queries';
import type { SmsEventState } from '../inbox/sms-event-state';
import { printableJson } from '../internal/printable';
import { STORED_HEADERS } from '../opensms-webhook.constants';

/** One line of an export (NDJSON): an inbox event as it was received, without its signature, and where it stands. */
export interface SmsEventExportLine {
  /** Inbox id in the exporting inbox. */
  id: string;
  event: string;
  messageId: string | null;
  tenant: string | null;
  state: SmsEventState;
  /** When the call was received, ISO 8601. */
  receivedAt: string;
  /** The request headers the inbox keeps ({@link STORED_HEADERS}): never a signature or a secret. */
  headers: Record<string, string>;
  /**
   * The call's body as stored: its parsed JSON, or its text when it was not JSON; `null` when
   * `--redact phone` left out a text it could not redact.
   */
  payload: unknown;
}

/** Personal data an export can leave out. */
export const EXPORT_REDACTIONS = ['phone'] as const;

export type ExportRedaction = (typeof EXPORT_REDACTIONS)[number];

/** Rows read per query: an export holds one page of this many in memory. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * Writes every event matching `filter` to `out`, one {@link SmsEventExportLine} per line, in the
 * order they were received. Pages are read one at a time (keyset-paged on the inbox's indexes) and
 * a page is read only once `out` took the previous one, so memory stays bounded whatever the
 * inbox holds. Resolves how many lines were written.
 */
export async function exportEvents(
  queries: SmsEventQueries,
  filter: Omit<SmsEventFilter, 'limit'>,
  out: Writable,
  redact: readonly ExportRedaction[] = [],
): Promise<number> {
  const pseudonym = redact.includes('phone') ? phonePseudonyms() : undefined;
  // NOTE: a write that fails (a full disk, a closed pipe) is reported by an 'error' event, not by write().
  let failure: Error | undefined;
  const failed = (error: Error) => (failure = error);
  out.on('error', failed);
  let written = 0;
  let after: string | undefined;
  try {
    do {
      const page = await queries.records({ ...filter, limit: EXPORT_PAGE_SIZE }, after);
      for (const record of page.events) {
        if (failure) throw failure;
        const line = exportLine(record);
        if (pseudonym) line.payload = withoutPhones(line.payload, pseudonym);
        if (!out.write(`${printableJson(line)}\n`)) await once(out, 'drain');
        written += 1;
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
  } finally {
    out.off('error', failed);
  }
  if (failure) throw failure;
  return written;
}

function exportLine(record: SmsEventRecord): SmsEventExportLine {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) if (typeof record.headers?.[name] === 'string') headers[name] = record.headers[name];
  return {
    id: record.id,
    event: record.event,
    messageId: record.messageId,
    tenant: record.tenant,
    state: record.state,
    receivedAt: new Date(record.receivedAt).toISOString(),
    headers,
    payload: record.payload,
  };
}

/**
 * A stand-in for each phone number: a keyed hash (HMAC-SHA256 with a key made for this export and
 * never written anywhere) shown as an E.164 number of country code 999, which the ITU assigns to no
 * country. The same number gets the same stand-in throughout the export, so the events of one
 * number still group together and a receiver still accepts them; the number cannot be recovered.
 */
export function phonePseudonyms(key: Buffer = randomBytes(32)): (phone: string) => string {
  return (phone) => {
    const digits = createHmac('sha256', key).update(phone).digest().readBigUInt64BE() % 10n ** 11n;
    return `+999${digits.toString().padStart(11, '0')}`;
  };
}

/**
 * `payload` with every string under a `phone` key, at any depth, replaced by its stand-in. A
 * payload that is text (a body that was not JSON) is left out (`null`): a phone number in it
 * cannot be found reliably.
 */
export function withoutPhones(payload: unknown, pseudonym: (phone: string) => string): unknown {
  return typeof payload === 'string' ? null : replacePhones(payload, pseudonym);
}

function replacePhones(value: unknown, pseudonym: (phone: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => replacePhones(item, pseudonym));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === 'phone' && typeof inner === 'string' ? pseudonym(inner) : replacePhones(inner, pseudonym),
    ]),
  );
}
