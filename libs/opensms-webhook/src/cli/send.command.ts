import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { STANDARD_WEBHOOK_HEADERS, STORED_HEADERS } from '../opensms-webhook.constants';
import type { SignatureScheme } from '../opensms-webhook-options.interface';
import { signWebhook } from '../testing/sign-webhook';
import type { SmsEventExportLine } from './export.command';
import { postSignedWebhook, type WebhookAnswer } from './webhook-post';

/** Options of {@link sendExportedEvents}. */
export interface SendExportedEventsOptions {
  /** An NDJSON file written by `opensms-webhook export`. */
  file: string;
  /** Webhook endpoint, e.g. `http://localhost:3000/webhooks/sms`. */
  url: string;
  /** The receiver's signing secret (`whsec_…` or raw). */
  secret: string;
  /** Calls started per second, at most. */
  rate: number;
  /** @default 'standard-webhooks' */
  scheme?: SignatureScheme;
  /** Signature header of the `'stripe'` scheme. @default 'opensms-signature' */
  header?: string;
}

/** What became of one line of the file. */
export type SentLine =
  | { line: number; id: string; event: string; answer: WebhookAnswer }
  /** A line that is not an exported event, or whose payload the export left out: nothing sent. */
  | { line: number; id?: string; unsent: string };

/**
 * The headers of an exported event sent on with it: those the inbox keeps, less the ones the new
 * signature brings (`webhook-id` is signed again as it was, the timestamp is new).
 */
const FORWARDED_HEADERS = STORED_HEADERS.filter(
  (name) => name !== 'content-type' && !(Object.values(STANDARD_WEBHOOK_HEADERS) as string[]).includes(name),
);

/**
 * Sends the events of an export to `url`, one at a time in the order of the file (the next call
 * starts once the previous one was answered, and no sooner than `1 / rate` seconds after it
 * started), each signed again with `secret`, and hands each line's outcome to `report`. A server
 * that cannot be reached stops the run (the error names the line); the lines after it are not sent.
 */
export async function sendExportedEvents(options: SendExportedEventsOptions, report: (sent: SentLine) => void): Promise<void> {
  const lines = createInterface({ input: createReadStream(options.file), crlfDelay: Infinity });
  const interval = 1000 / options.rate;
  let nextStart = 0;
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === '') continue;
    const exported = exportedEvent(text);
    if (typeof exported === 'string') {
      report({ line: number, unsent: exported });
      continue;
    }
    if (exported.payload === null) {
      report({ line: number, id: exported.id, unsent: 'its payload was left out by --redact (a text body)' });
      continue;
    }
    await sleep(Math.max(0, nextStart - Date.now()));
    nextStart = Date.now() + interval;
    const signed = signWebhook(exported.payload, options.secret, {
      scheme: options.scheme,
      header: options.header,
      id: exported.headers[STANDARD_WEBHOOK_HEADERS.id],
    });
    const forwarded = Object.fromEntries(
      FORWARDED_HEADERS.flatMap((name) => (exported.headers[name] ? [[name, exported.headers[name]]] : [])),
    );
    let answer: WebhookAnswer;
    try {
      answer = await postSignedWebhook(options.url, { body: signed.body, headers: { ...forwarded, ...signed.headers } });
    } catch (error) {
      throw new Error(`line ${number} (event ${exported.id}): ${(error as Error).message}; this line and the ones after it were not sent`, {
        cause: error,
      });
    }
    report({ line: number, id: exported.id, event: exported.event, answer });
  }
}

/** The exported event of a line, or why the line is not one. */
function exportedEvent(text: string): SmsEventExportLine | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const line = parsed as Partial<SmsEventExportLine> | null;
  if (typeof line !== 'object' || line === null || typeof line.id !== 'string' || !('payload' in line)) {
    return 'not an exported event (it needs "id" and "payload")';
  }
  const headers = typeof line.headers === 'object' && line.headers !== null ? line.headers : {};
  return { ...(line as SmsEventExportLine), headers, event: typeof line.event === 'string' ? line.event : '(unknown event)' };
}
