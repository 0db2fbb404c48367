/**
 * How far along its life a status is. A message only moves forward: `pending` never replaces
 * `delivered` or `failed`, whatever order the events arrive in.
 */
const STATUS_PROGRESS: Readonly<Record<string, number>> = { pending: 0, failed: 1, delivered: 1 };

/** Whether an event with `status` at `occurredAt` may replace the message's current state. */
export function movesForward(current: { status: string; statusAt: Date } | null, next: { status: string; occurredAt: Date }): boolean {
  if (!current) return true;
  return (
    next.occurredAt.getTime() >= current.statusAt.getTime() && (STATUS_PROGRESS[next.status] ?? 0) >= (STATUS_PROGRESS[current.status] ?? 0)
  );
}
