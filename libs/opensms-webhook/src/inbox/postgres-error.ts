/**
 * What a failed inbox write means, from PostgreSQL's SQLSTATE. TypeORM wraps the driver's error;
 * both carry the code. An error without one never reached the server (refused, reset, timed out).
 */
export function sqlStateOf(error: unknown): string | undefined {
  const candidates = [error, (error as { driverError?: unknown } | null)?.driverError];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * The database did not answer, or answered that it cannot serve now (connection exceptions,
 * insufficient resources, operator intervention, system errors): the same write may succeed later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code === undefined || ['08', '53', '57', '58'].includes(code.slice(0, 2));
}

/**
 * The database refused this row for what it holds (data exceptions, integrity constraints, a key
 * too large to index): writing it again can never succeed.
 */
export function isRowRefused(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code !== undefined && (['22', '23'].includes(code.slice(0, 2)) || code === '54000');
}
