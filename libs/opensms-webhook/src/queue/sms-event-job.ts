import type { JobsOptions } from 'bullmq';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';

/** Data of a dispatch job: only the inbox id; the row is the source of truth. */
export interface SmsEventJobData {
  eventId: string;
}

/** Job options of an inbox event: the job id is the inbox id, so an event never has two jobs. */
export function smsEventJobOptions(eventId: string, options: ResolvedOpenSmsWebhookOptions): JobsOptions {
  return {
    jobId: eventId,
    attempts: options.job.attempts,
    backoff: options.job.backoff,
    removeOnComplete: options.job.removeOnComplete,
    removeOnFail: options.job.removeOnFail,
  };
}
