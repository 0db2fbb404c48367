import type { SmsEventFilter } from '../inbox/sms-event.queries';
import { SMS_EVENT_STATES, type SmsEventState } from '../inbox/sms-event-state';

/** The search form's fields, as typed (the query string of the search page). */
export interface ConsoleSearchForm {
  messageId: string;
  phone: string;
  event: string;
  state: string;
  /** The tenant `tenants.secretResolver` named for the call. */
  tenant: string;
  /** Received after, UTC (`YYYY-MM-DDTHH:MM`, as a `datetime-local` input gives it, or ISO 8601). */
  after: string;
  /** Received before, UTC. */
  before: string;
}

/** A search request read from the query string. */
export interface ConsoleSearch {
  form: ConsoleSearchForm;
  filter: SmsEventFilter;
  /** The keyset cursor of the page asked for. */
  cursor?: string;
  /** Fields that could not be read (they are left out of the filter). */
  problems: string[];
}

export const SEARCH_FIELDS = [
  'messageId',
  'phone',
  'event',
  'state',
  'tenant',
  'after',
  'before',
] as const satisfies readonly (keyof ConsoleSearchForm)[];

/** Longest accepted field. */
const MAX_FIELD_LENGTH = 200;

/** Reads the search form from a query string (or a posted form): every field optional. */
export function readSearch(query: Readonly<Record<string, unknown>>): ConsoleSearch {
  const problems: string[] = [];
  const text = (name: string) => {
    const value = query[name];
    return typeof value === 'string' ? value.trim().slice(0, MAX_FIELD_LENGTH) : '';
  };
  const form = Object.fromEntries(SEARCH_FIELDS.map((field) => [field, text(field)])) as unknown as ConsoleSearchForm;
  const filter: SmsEventFilter = {};
  if (form.messageId) filter.messageId = form.messageId;
  if (form.phone) filter.phone = form.phone;
  if (form.event) filter.event = form.event;
  if (form.tenant) filter.tenant = form.tenant;
  if (form.state) {
    if ((SMS_EVENT_STATES as readonly string[]).includes(form.state)) filter.state = form.state as SmsEventState;
    else problems.push(`Unknown state "${form.state}"`);
  }
  for (const [field, key, label] of [
    ['after', 'receivedAfter', 'Received after'],
    ['before', 'receivedBefore', 'Received before'],
  ] as const) {
    if (!form[field]) continue;
    const date = utcDate(form[field]);
    if (date) filter[key] = date;
    else problems.push(`${label} is not a date and time (e.g. 2025-11-30T14:05)`);
  }
  const cursor = text('cursor');
  return { form, filter, problems, ...(cursor ? { cursor } : {}) };
}

/** The query string (`?…`, or empty) of a search form, plus extra parameters. */
export function searchQueryString(form: ConsoleSearchForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const field of SEARCH_FIELDS) if (form[field]) params.set(field, form[field]);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** Whether the form filters anything. */
export function isFiltered(form: ConsoleSearchForm): boolean {
  return SEARCH_FIELDS.some((field) => form[field] !== '');
}

/** A date from a `datetime-local` value (read as UTC) or an ISO 8601 text; `undefined` when neither. */
function utcDate(value: string): Date | undefined {
  const local = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?$/.test(value);
  const date = new Date(local ? `${value.length === 10 ? `${value}T00:00` : value}Z` : value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
