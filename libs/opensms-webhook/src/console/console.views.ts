import type { SmsEventReprocessPlan } from '../dispatch/sms-event.reprocessor';
import type { SmsEventHandlerRun, SmsEventPage, SmsEventSummary, SmsEventTimelineEntry } from '../inbox/sms-event.queries';
import {
  REPLAYABLE_SMS_EVENT_STATES,
  REPROCESSABLE_SMS_EVENT_STATES,
  SMS_EVENT_STATES,
  type SmsEventState,
} from '../inbox/sms-event-state';
import { KNOWN_SMS_EVENTS } from '../events/sms-event-types';
import { readableDuration } from '../internal/duration';
import type { ConsoleEventDetail, ConsoleOverview, ConsoleReprocessRun } from './console-inbox.service';
import { type ConsoleSearch, type ConsoleSearchForm, isFiltered, SEARCH_FIELDS, searchQueryString } from './console-search.params';
import { CSRF_FIELD } from './console.constants';
import { formValue, html, preformatted, type SafeHtml } from './console.html';

/** What every page needs: where the console lives, the form token, who is looking. */
export interface ConsolePageContext {
  /** The console's root URL path (`/opensms`). */
  root: string;
  csrfToken: string;
  user: string;
  /** A confirmation of the last action, shown on top. */
  notice?: string;
}

/** The page frame: header with navigation, the notice, the content. */
export function layout(context: ConsolePageContext, title: string, content: SafeHtml): string {
  const { root } = context;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · OpenSMS inbox</title>
<link rel="stylesheet" href="${root}/console.css">
</head>
<body>
<header class="bar">
  <a class="brand" href="${root}">OpenSMS inbox</a>
  <nav><a href="${root}">Overview</a><a href="${root}/events">Search</a></nav>
  <span class="user">Signed in as ${context.user} · times in UTC</span>
</header>
<main>
${context.notice ? html`<p class="notice" role="status">${context.notice}</p>` : null}
${content}
</main>
</body>
</html>
`.markup;
}

export function overviewPage(context: ConsolePageContext, overview: ConsoleOverview, now: Date): string {
  const { root } = context;
  const oldest = overview.oldestUnfinishedAt;
  return layout(
    context,
    'Overview',
    html`<h1>Overview</h1>
<section class="cards">
  <div class="card">
    <div class="label">Backlog (received, processing, failed)</div>
    <div class="figure" data-testid="backlog">${overview.backlog}</div>
    <div class="hint">${oldest ? html`oldest unfinished: ${readableDuration(now.getTime() - oldest.getTime())} old` : 'nothing waiting'}</div>
  </div>
  <div class="card${overview.counts.dead > 0 ? ' alert' : ''}">
    <div class="label">Dead letters</div>
    <div class="figure" data-testid="dead">${overview.counts.dead}</div>
    <div class="hint"><a href="${root}/events?state=dead">Show dead events</a></div>
  </div>
  ${processingCard(context, overview.paused)}
</section>
<h2>Events by state</h2>
<ul class="counts">
${SMS_EVENT_STATES.map(
  (state) =>
    html`<li><a href="${root}/events?state=${state}">${stateBadge(state)}<strong data-testid="count-${state}">${overview.counts[state]}</strong></a></li>`,
)}
</ul>
<h2>Last events received</h2>
${eventsTable(root, overview.latest)}`,
  );
}

/**
 * The search page; `handlers` are the application's handler names the reprocess form offers
 * (`null` where the process does not know them).
 */
export function searchPage(
  context: ConsolePageContext,
  search: ConsoleSearch,
  page: SmsEventPage,
  handlers: readonly string[] | null,
): string {
  const { root } = context;
  const { form } = search;
  const canReplayDead = form.state === '' || form.state === 'dead';
  return layout(
    context,
    'Search',
    html`<h1>Search</h1>
${searchForm(root, form)}
${problemList(search.problems)}
<div class="actions">
  ${isFiltered(form) ? html`<a class="button secondary" href="${root}/events">Clear</a>` : null}
  ${canReplayDead ? html`<a class="button secondary" href="${root}/replay-dead${searchQueryString(form)}">Replay the dead events of this search…</a>` : null}
</div>
${reprocessForm(context, form, handlers)}
${eventsTable(root, page.events)}
<nav class="pager">
  <span>${search.cursor ? html`<a href="${root}/events${searchQueryString(form)}">← Newest</a>` : null}</span>
  <span>${page.next ? html`<a rel="next" href="${root}/events${searchQueryString(form, { cursor: page.next })}">Older →</a>` : null}</span>
</nav>`,
  );
}

export function eventPage(context: ConsolePageContext, detail: ConsoleEventDetail): string {
  const { root } = context;
  const { event } = detail;
  const replayable = REPLAYABLE_SMS_EVENT_STATES.includes(event.state);
  return layout(
    context,
    `Event ${event.id}`,
    html`<div class="crumbs"><a href="${root}/events">Search</a> › event</div>
<h1><code>${event.event}</code> ${stateBadge(event.state)} ${detail.stale ? html`<span class="stale">stale</span>` : null}</h1>
${replayable ? html`<div class="actions">${postButton(context, `events/${encodeURIComponent(event.id)}/replay`, 'Replay this event')}</div>` : null}
<dl class="facts">
  <dt>Inbox id</dt><dd class="mono">${event.id}</dd>
  <dt>Message</dt><dd>${event.messageId === null ? '—' : html`<a href="${messageHref(root, event.messageId)}">${event.messageId}</a> (timeline)`}</dd>
  <dt>Phone</dt><dd>${event.phone === null ? '—' : html`<a href="${root}/events?phone=${encodeURIComponent(event.phone)}">${event.phone}</a>`}</dd>
  <dt>Status</dt><dd>${event.status ?? '—'}</dd>
  <dt>Error</dt><dd>${event.error ?? '—'}</dd>
  <dt>State</dt><dd data-testid="state">${event.state}</dd>
  <dt>Attempts</dt><dd>${event.attempts}</dd>
  <dt>Timestamp</dt><dd>${time(event.occurredAt)}</dd>
  <dt>Received</dt><dd>${time(event.receivedAt)}</dd>
  <dt>Processed</dt><dd>${time(event.processedAt)}</dd>
  <dt>Last change</dt><dd>${time(event.updatedAt)}</dd>
  <dt>Stale</dt><dd>${detail.stale ? 'yes: a later event of this message was processed first' : 'no'}</dd>
  <dt>Dedupe key</dt><dd class="mono">${event.dedupeKey ?? '—'}</dd>
</dl>
${event.lastError ? html`<h2>Last error</h2><pre class="error" data-testid="last-error">${preformatted(event.lastError)}</pre>` : null}
<h2>Handler runs</h2>
${handlerRunsTable(detail.handlerRuns)}
<h2>Payload</h2>
<pre data-testid="payload">${preformatted(JSON.stringify(event.payload, null, 2))}</pre>
<h2>Headers</h2>
${keyValueTable(event.headers)}
${event.messageId === null ? null : html`<h2>Events of this message</h2>${timelineTable(root, detail.timeline, event.id)}`}`,
  );
}

export function timelinePage(context: ConsolePageContext, messageId: string, timeline: readonly SmsEventTimelineEntry[]): string {
  const { root } = context;
  const byTimestamp = [...timeline].sort((a, b) => (a.occurredAt?.getTime() ?? Infinity) - (b.occurredAt?.getTime() ?? Infinity));
  return layout(
    context,
    `Message ${messageId}`,
    html`<div class="crumbs"><a href="${root}/events?messageId=${encodeURIComponent(messageId)}">Search</a> › message</div>
<h1>Message <code>${messageId}</code></h1>
<h2>In the order received</h2>
${timelineTable(root, timeline)}
<h2>By timestamp</h2>
${timelineTable(root, byTimestamp)}`,
  );
}

export function replayDeadPage(context: ConsolePageContext, form: ConsoleSearchForm, count: number, replayLimit: number): string {
  const { root } = context;
  return layout(
    context,
    'Replay dead events',
    html`<div class="crumbs"><a href="${root}/events${searchQueryString(form)}">Search</a> › replay</div>
<h1>Replay dead events</h1>
<p><strong data-testid="dead-count">${count}</strong> dead event(s) match
${conditionList({ ...form, state: '' }, 'no condition (every dead event)')}.
Replaying gives each a fresh set of attempts; handlers that already committed are not run again.</p>
${count > replayLimit ? html`<p class="problems">At most ${replayLimit} are replayed in one go (<code>replayLimit</code>).</p>` : null}
${
  count === 0
    ? html`<p><a href="${root}/events${searchQueryString(form)}">Back to the search</a></p>`
    : html`<form method="post" action="${root}/replay-dead" class="actions">
  ${hiddenFields(context, { ...withoutState(form), expected: String(count) })}
  <button type="submit" class="danger">Replay ${Math.min(count, replayLimit)} dead event(s)</button>
  <a class="button secondary" href="${root}/events${searchQueryString(form)}">Cancel</a>
</form>`
}`,
  );
}

/** The dry-run plan of reprocessing a search for some handlers, with the button that starts it. */
export function reprocessPlanPage(
  context: ConsolePageContext,
  form: ConsoleSearchForm,
  handlers: readonly string[],
  plan: SmsEventReprocessPlan,
): string {
  const { root } = context;
  const back = `${root}/events${searchQueryString(form)}`;
  return layout(
    context,
    'Reprocess events',
    html`<div class="crumbs"><a href="${back}">Search</a> › reprocess</div>
<h1>Reprocess events</h1>
<p><strong data-testid="reprocess-events">${plan.events}</strong> finished event(s) (${REPROCESSABLE_SMS_EVENT_STATES.join(', ')}) match
${conditionList(form, 'no condition (every finished event)')}. Nothing has changed yet.</p>
${reprocessPlanTables(plan)}
${
  plan.events === 0
    ? html`<p><a href="${back}">Back to the search</a></p>`
    : html`<form method="post" action="${root}/reprocess/start" class="actions">
  ${hiddenFields(context, { ...form })}${handlers.map((handler) => html`<input type="hidden" name="handler" value="${formValue(handler)}">`)}
  <button type="submit" class="danger">Reprocess ${plan.events} event(s)</button>
  <a class="button secondary" href="${back}">Cancel</a>
</form>`
}`,
  );
}

/** A reprocessing that cannot run as asked (a state that cannot be reprocessed, an unknown handler): why, and nothing changed. */
export function reprocessRefusedPage(context: ConsolePageContext, form: ConsoleSearchForm, problems: readonly string[]): string {
  const back = `${context.root}/events${searchQueryString(form)}`;
  return layout(
    context,
    'Reprocessing refused',
    html`<div class="crumbs"><a href="${back}">Search</a> › reprocess</div>
<h1>Reprocessing refused</h1>
<p>Nothing changed.</p>
${problemList(problems)}
<p><a href="${back}">Back to the search</a></p>`,
  );
}

/** A reprocessing this process started: who, when, its plan and how far its queueing got. */
export function reprocessRunPage(context: ConsolePageContext, run: ConsoleReprocessRun): string {
  const back = `${context.root}/events${searchQueryString(run.form)}`;
  const { events } = run.plan;
  const progress = run.failure
    ? `Stopped after ${run.queued} of ${events} event(s) queued again: ${run.failure}`
    : run.outcome?.cancelled
      ? `Cancelled: ${run.outcome.queued} of ${events} event(s) queued again; the others are as they were.`
      : run.outcome
        ? `Queued: ${run.outcome.queued} of ${events} event(s) queued again; the application's workers process them.`
        : `Queueing: ${run.queued} of ${events} event(s) queued again so far (reload to follow).`;
  return layout(
    context,
    'Reprocessing',
    html`<div class="crumbs"><a href="${back}">Search</a> › reprocessing</div>
<h1>Reprocessing</h1>
<p>Started by ${run.user} at ${time(run.startedAt)}, over ${conditionList(run.form, 'every finished event')}.</p>
<p data-testid="reprocess-progress">${progress}</p>
${reprocessPlanTables(run.plan)}
<p><a href="${back}">Back to the search</a></p>`,
  );
}

export function notFoundPage(context: ConsolePageContext, what: string): string {
  return layout(context, 'Not found', html`<h1>Not found</h1><p>${what}</p><p><a href="${context.root}/events">Search the inbox</a></p>`);
}

const FIELD_LABELS: Record<keyof ConsoleSearchForm, string> = {
  messageId: 'Message id',
  phone: 'Phone',
  event: 'Event type',
  state: 'State',
  tenant: 'Tenant',
  after: 'Received after (UTC)',
  before: 'Received before (UTC)',
};

/** The search's conditions as text (`Phone +2547…, State dead`), or `none` when it has none. */
function conditionList(form: ConsoleSearchForm, none: string): SafeHtml | string {
  const conditions = SEARCH_FIELDS.filter((field) => form[field] !== '');
  if (conditions.length === 0) return none;
  return html`${conditions.map((field, index) => html`${index > 0 ? ', ' : ''}${FIELD_LABELS[field]} <code>${form[field]}</code>`)}`;
}

/**
 * The search page's way to reprocess its events: a choice of handlers and the button that shows
 * the plan; for a state that cannot be reprocessed, why not.
 */
function reprocessForm(context: ConsolePageContext, form: ConsoleSearchForm, handlers: readonly string[] | null): SafeHtml {
  if (form.state !== '' && !REPROCESSABLE_SMS_EVENT_STATES.includes(form.state as SmsEventState)) {
    return html`<p class="hint" data-testid="reprocess-unavailable">Events in state <code>${form.state}</code> cannot be reprocessed: only
${REPROCESSABLE_SMS_EVENT_STATES.join(', ')} events can (unfinished events run anyway).</p>`;
  }
  return html`<details class="reprocess">
<summary>Reprocess the events of this search…</summary>
<form method="post" action="${context.root}/reprocess">
  ${hiddenFields(context, { ...form })}
  <fieldset>
  <legend>Handlers to run again (none ticked: every handler of each event)</legend>
  ${
    handlers === null
      ? html`<p>This process runs no worker and does not know the handlers: every handler of each event runs again.</p>`
      : handlers.map(
          (handler) => html`<label><input type="checkbox" name="handler" value="${formValue(handler)}"> <code>${handler}</code></label>`,
        )
  }
  </fieldset>
  <button type="submit" class="secondary">Show the plan</button>
</form>
</details>`;
}

/** A plan's events by type and the handlers that run again, each with what it had completed before. */
function reprocessPlanTables(plan: SmsEventReprocessPlan): SafeHtml {
  const types = Object.entries(plan.byEvent).sort(([a], [b]) => a.localeCompare(b));
  return html`<h2>Events by type</h2>
${
  types.length === 0
    ? html`<div class="table-wrap"><p class="empty">No events.</p></div>`
    : html`<div class="table-wrap"><table class="stack" data-testid="reprocess-by-event">
<thead><tr><th>Event type</th><th>Events</th></tr></thead>
<tbody>${types.map(([type, count]) => html`<tr><td data-label="Event type"><code>${type}</code></td><td data-label="Events">${count}</td></tr>`)}</tbody></table></div>`
}
<h2>Handlers run again</h2>
<p>${
    plan.everyHandler
      ? 'Every handler of each event runs again.'
      : 'Only these run again: every other handler keeps its record and does not run.'
  } Events are queued oldest first, behind live events.</p>
${
  plan.handlers.length === 0
    ? html`<div class="table-wrap"><p class="empty">No handler known to this process takes these events.</p></div>`
    : html`<div class="table-wrap"><table class="stack" data-testid="reprocess-handlers">
<thead><tr><th>Handler</th><th>Selected events it takes</th><th>Completed before</th></tr></thead>
<tbody>${plan.handlers.map(
        (handler) => html`<tr>
  <td data-label="Handler" class="mono">${handler.handler}</td>
  <td data-label="Selected events it takes">${handler.events ?? '—'}</td>
  <td data-label="Completed before">${handler.completedBefore}</td>
</tr>`,
      )}</tbody></table></div>`
}`;
}

function searchForm(root: string, form: ConsoleSearchForm): SafeHtml {
  const input = (field: 'messageId' | 'phone' | 'event' | 'tenant', extra: SafeHtml | null = null) =>
    html`<label>${FIELD_LABELS[field]}<input name="${field}" value="${formValue(form[field])}" autocomplete="off"${extra}></label>`;
  return html`<form class="search" method="get" action="${root}/events" role="search">
  ${input('messageId')}
  ${input('phone', html` inputmode="tel"`)}
  ${input('event', html` list="opensms-events"`)}
  <datalist id="opensms-events">${Object.keys(KNOWN_SMS_EVENTS).map((name) => html`<option value="${name}">`)}</datalist>
  <label>${FIELD_LABELS.state}<select name="state"><option value="">any</option>${SMS_EVENT_STATES.map(
    (state) => html`<option value="${state}"${state === form.state ? html` selected` : null}>${state}</option>`,
  )}</select></label>
  ${input('tenant')}
  <label>${FIELD_LABELS.after}<input type="datetime-local" step="1" name="after" value="${formValue(form.after)}"></label>
  <label>${FIELD_LABELS.before}<input type="datetime-local" step="1" name="before" value="${formValue(form.before)}"></label>
  <button type="submit">Search</button>
</form>`;
}

function eventsTable(root: string, events: readonly SmsEventSummary[]): SafeHtml {
  if (events.length === 0) return html`<div class="table-wrap"><p class="empty">No events.</p></div>`;
  return html`<div class="table-wrap"><table class="stack" data-testid="events">
<thead><tr><th>Received</th><th>Event</th><th>Message</th><th>Phone</th><th>Status</th><th>State</th><th>Attempts</th></tr></thead>
<tbody>${events.map(
    (event) => html`<tr>
  <td data-label="Received" class="nowrap"><a href="${root}/events/${encodeURIComponent(event.id)}">${time(event.receivedAt)}</a></td>
  <td data-label="Event"><a href="${root}/events/${encodeURIComponent(event.id)}">${event.event}</a></td>
  <td data-label="Message">${event.messageId === null ? '—' : html`<a href="${messageHref(root, event.messageId)}">${event.messageId}</a>`}</td>
  <td data-label="Phone" class="nowrap">${event.phone ?? '—'}</td>
  <td data-label="Status">${event.status ?? '—'}</td>
  <td data-label="State">${stateBadge(event.state)}</td>
  <td data-label="Attempts">${event.attempts}</td>
</tr>`,
  )}</tbody></table></div>`;
}

function timelineTable(root: string, timeline: readonly SmsEventTimelineEntry[], currentId?: string): SafeHtml {
  if (timeline.length === 0) return html`<div class="table-wrap"><p class="empty">No events.</p></div>`;
  return html`<div class="table-wrap"><table class="stack" data-testid="timeline">
<thead><tr><th>Received</th><th>Timestamp</th><th>Event</th><th>Status</th><th>State</th><th>Stale</th></tr></thead>
<tbody>${timeline.map(
    (entry) => html`<tr${entry.id === currentId ? html` class="current"` : null}>
  <td data-label="Received" class="nowrap"><a href="${root}/events/${encodeURIComponent(entry.id)}">${time(entry.receivedAt)}</a></td>
  <td data-label="Timestamp" class="nowrap">${time(entry.occurredAt)}</td>
  <td data-label="Event">${entry.event}</td>
  <td data-label="Status">${entry.status ?? '—'}</td>
  <td data-label="State">${stateBadge(entry.state)}</td>
  <td data-label="Stale">${entry.stale ? html`<span class="stale">stale</span>` : 'no'}</td>
</tr>`,
  )}</tbody></table></div>`;
}

function handlerRunsTable(runs: readonly SmsEventHandlerRun[]): SafeHtml {
  if (runs.length === 0) return html`<div class="table-wrap"><p class="empty">No handler run has completed for this event.</p></div>`;
  return html`<div class="table-wrap"><table class="stack" data-testid="handler-runs">
<thead><tr><th>Handler</th><th>Completed</th><th>Attempt</th></tr></thead>
<tbody>${runs.map(
    (run) => html`<tr>
  <td data-label="Handler" class="mono">${run.handler}</td>
  <td data-label="Completed" class="nowrap">${time(run.completedAt)}</td>
  <td data-label="Attempt">${run.attempt ?? '—'}</td>
</tr>`,
  )}</tbody></table></div>`;
}

function keyValueTable(values: Readonly<Record<string, string>>): SafeHtml {
  const entries = Object.entries(values);
  if (entries.length === 0) return html`<div class="table-wrap"><p class="empty">None kept.</p></div>`;
  return html`<div class="table-wrap"><table class="pairs" data-testid="headers"><tbody>${entries.map(
    ([name, value]) => html`<tr><th class="mono">${name}</th><td class="mono">${value}</td></tr>`,
  )}</tbody></table></div>`;
}

/**
 * Whether processing runs, with the button that pauses or resumes it; in an ingest-only process
 * (`paused` is `null`), where it runs instead.
 */
function processingCard(context: ConsolePageContext, paused: boolean | null): SafeHtml {
  if (paused === null) {
    return html`<div class="card">
    <div class="label">Processing</div>
    <div class="figure" data-testid="processing">In workers</div>
    <div class="hint">Processing runs in worker processes.</div>
  </div>`;
  }
  return html`<div class="card${paused ? ' paused' : ''}">
    <div class="label">Processing</div>
    <div class="figure" data-testid="processing">${paused ? 'Paused' : 'Running'}</div>
    <div class="hint">${paused ? 'events are stored, not handled' : 'workers take new events'}</div>
    ${postButton(context, paused ? 'resume' : 'pause', paused ? 'Resume processing' : 'Pause processing', {}, paused ? '' : 'secondary')}
  </div>`;
}

/** A form of one button that POSTs (with the form token) to a path under the console root. */
function postButton(context: ConsolePageContext, action: string, label: string, fields: Record<string, string> = {}, style = ''): SafeHtml {
  return html`<form method="post" action="${context.root}/${action}">${hiddenFields(context, fields)}<button type="submit" class="${style}">${label}</button></form>`;
}

function hiddenFields(context: ConsolePageContext, fields: Record<string, string>): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${context.csrfToken}">${Object.entries(fields)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${formValue(value)}">`)}`;
}

function problemList(problems: readonly string[]): SafeHtml | null {
  return problems.length === 0 ? null : html`<ul class="problems">${problems.map((problem) => html`<li>${problem}</li>`)}</ul>`;
}

function withoutState(form: ConsoleSearchForm): Record<string, string> {
  const { state: _state, ...rest } = form;
  return { ...rest };
}

function stateBadge(state: string): SafeHtml {
  return html`<span class="state state-${state}">${state}</span>`;
}

function messageHref(root: string, messageId: string): string {
  return `${root}/messages/${encodeURIComponent(messageId)}`;
}

/** `2025-11-30 14:05:12.345 UTC`, or a dash. */
function time(date: Date | null): SafeHtml | string {
  if (date === null) return '—';
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace('Z', '')}</time>`;
}
