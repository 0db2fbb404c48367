import type { SmsEventReprocessOutcome, SmsEventReprocessPlan, SmsEventReprocessRequest } from '../dispatch/sms-event.reprocessor';
import type { OpenSmsWebhookService } from '../opensms-webhook.service';

/** How often `reprocess` prints its progress while it queues. */
export const REPROCESS_PROGRESS_INTERVAL_MS = 1000;

/** How a reprocessing started by the command line ended. */
export interface CliReprocessResult extends SmsEventReprocessOutcome {
  plan: SmsEventReprocessPlan;
}

/**
 * The lines that describe a plan: the events selected, by event type, then the handlers that run
 * again, each with how many of the selected events it had completed before.
 */
export function reprocessPlanLines(plan: SmsEventReprocessPlan): string[] {
  const lines = [`${plan.events} event(s) selected${plan.events === 0 ? '' : ':'}`];
  const types = Object.entries(plan.byEvent).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(0, ...types.map(([type]) => type.length));
  for (const [type, count] of types) lines.push(`  ${type.padEnd(width)}  ${count}`);
  if (plan.everyHandler) {
    lines.push('Handlers run again: every handler of each event');
    return lines;
  }
  lines.push('Handlers run again (completed before: selected events it had already completed):');
  for (const { handler, events, completedBefore } of plan.handlers) {
    lines.push(`  ${handler}  completed before: ${completedBefore}${events === null ? '' : `, events it takes: ${events}`}`);
  }
  if (plan.handlers.some(({ events }) => events === null)) {
    lines.push(
      "Handler names are not checked here (this process does not have the application's handlers): a name the " +
        'application does not have clears nothing and runs nothing, and its events end as they were.',
    );
  }
  return lines;
}

/**
 * Plans a reprocessing and, unless it is a dry run, starts it: prints the plan, then `queued N of
 * M` at most every {@link REPROCESS_PROGRESS_INTERVAL_MS} while it queues. `interrupted` is
 * called once with the run's `cancel`, for the caller to call on Ctrl-C; the function it returns is
 * called when the run is over.
 */
export async function reprocessFromCli(
  service: OpenSmsWebhookService,
  request: SmsEventReprocessRequest,
  log: (line: string) => void,
  interrupted: (cancel: () => void) => () => void,
): Promise<CliReprocessResult> {
  const run = await service.reprocess(request);
  if (run.dryRun) log('Dry run: nothing changed.');
  reprocessPlanLines(run.plan).forEach((line) => log(line));
  if (run.dryRun || run.plan.events === 0) return { plan: run.plan, ...(await run.done) };
  let printed = 0;
  const progress = setInterval(() => {
    if (run.queued === printed) return;
    printed = run.queued;
    log(`queued ${printed} of ${run.plan.events}`);
  }, REPROCESS_PROGRESS_INTERVAL_MS);
  const release = interrupted(() => run.cancel());
  try {
    return { plan: run.plan, ...(await run.done) };
  } finally {
    clearInterval(progress);
    release();
  }
}
