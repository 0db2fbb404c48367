import type { JobsOptions } from 'bullmq';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';

/** Data of a dispatch job: only the inbox id; the row is the source of truth. */
export interface SmsEventJobData {
  eventId: string;
}

/**
 * BullMQ priority of the jobs of a reprocessing: BullMQ runs every job without a priority first, so
 * live events never wait behind a large reprocessing.
 */
export const BACKGROUND_JOB_PRIORITY = 1000;

/**
 * Job options of an inbox event: the job id is the inbox id, so an event never has two jobs; a
 * `background` one waits behind the jobs of live events.
 */
export function smsEventJobOptions(eventId: string, options: ResolvedOpenSmsWebhookOptions, background = false): JobsOptions {
  return {
    jobId: eventId,
    ...(background && { priority: BACKGROUND_JOB_PRIORITY }),
    attempts: options.job.attempts,
    backoff: options.job.backoff,
    removeOnComplete: options.job.removeOnComplete,
    removeOnFail: options.job.removeOnFail,
  };
}
