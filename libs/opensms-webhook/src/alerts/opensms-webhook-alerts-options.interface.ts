/** Options of `OpenSmsWebhookAlertsModule.forRoot()` (or the `useFactory` result of `forRootAsync()`); all have defaults. */
export interface OpenSmsWebhookAlertsOptions {
  /**
   * Unauthorized calls (401) within `signatureFailureWindowMs`, in one process, that raise a
   * `SignatureFailuresAlert`.
   * @default 20
   */
  signatureFailureThreshold?: number;
  /** @default 60000 */
  signatureFailureWindowMs?: number;
  /**
   * Backlog (the unfinished events: `received`, `processing` or `failed`) above which a
   * `BacklogAlert` is raised.
   * @default 1000
   */
  backlogThreshold?: number;
  /**
   * How often each worker process checks the backlog (a count of the state index); `0` turns the check off.
   * @default 60000
   */
  backlogCheckIntervalMs?: number;
}

/** The options with their defaults applied. */
export type ResolvedOpenSmsWebhookAlertsOptions = Required<OpenSmsWebhookAlertsOptions>;
