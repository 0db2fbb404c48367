/** Node's codes of a server certificate this process refuses, and the kind of problem each is. */
export const TLS_CERTIFICATE_ERRORS: readonly [codes: readonly string[], kind: string][] = [
  [
    [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ],
    'TLS certificate not trusted',
  ],
  [['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'], 'TLS certificate expired or not yet valid'],
  [['ERR_TLS_CERT_ALTNAME_INVALID'], 'TLS certificate does not name the host'],
];

/** The kind of certificate problem of a failed TLS connection (e.g. `TLS certificate not trusted`), if it is one. */
export function tlsCertificateProblem(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? TLS_CERTIFICATE_ERRORS.find(([codes]) => codes.includes(code))?.[1] : undefined;
}
