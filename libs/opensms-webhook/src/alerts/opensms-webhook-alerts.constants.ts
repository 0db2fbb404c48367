/** Injection token of the resolved alert options. */
export const OPENSMS_ALERTS_OPTIONS = Symbol('OPENSMS_ALERTS_OPTIONS');
