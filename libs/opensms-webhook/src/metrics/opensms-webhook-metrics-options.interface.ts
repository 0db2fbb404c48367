import type { Registry } from 'prom-client';

/** Options of `OpenSmsWebhookMetricsModule.forRoot()`, or what the factory of `forRootAsync()` returns. */
export interface OpenSmsWebhookMetricsOptions {
  /**
   * The Prometheus registry the metrics are registered in: yours, e.g. the one of
   * `@willsoto/nestjs-prometheus` (injected into `forRootAsync`).
   * @default prom-client's default `register`
   */
  registry?: Registry;
  /**
   * How long the inbox figures behind the gauges (backlog, oldest unfinished, dead) are reused, so
   * several scrapers cost one query.
   * @default 1000
   */
  inboxCacheMs?: number;
  /**
   * Longest wait of a scrape for the inbox figures; past it the gauges keep their last values.
   * @default 1000
   */
  inboxTimeoutMs?: number;
  /**
   * Buckets (seconds) of the call and handler duration histograms.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  durationBuckets?: number[];
  /**
   * Buckets (seconds) of `opensms_webhook_event_lag_seconds`, from the provider's timestamp to processed.
   * @default [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]
   */
  lagBuckets?: number[];
}

/** The options with their defaults applied. */
export type ResolvedOpenSmsWebhookMetricsOptions = Required<OpenSmsWebhookMetricsOptions>;
