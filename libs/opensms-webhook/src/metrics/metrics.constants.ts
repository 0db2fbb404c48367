/** Injection token of the Prometheus `Registry` the metrics are in (to serve it, e.g. from `GET /metrics`). */
export const OPENSMS_METRICS_REGISTRY = Symbol('OPENSMS_METRICS_REGISTRY');

/** Injection token of the resolved metrics options. */
export const OPENSMS_METRICS_OPTIONS = Symbol('OPENSMS_METRICS_OPTIONS');
