/**
 * Waits at most `ms` for `closing` (a graceful close; its rejection counts as closed). Past that,
 * calls `cut`, which ends what is left at once (destroys sockets, drops clients), and resolves
 * without waiting any longer. Resolves to `true` when it had to cut.
 */
export async function closeWithin(closing: Promise<unknown>, ms: number, cut: () => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  const late = await Promise.race([
    closing.then(
      () => false,
      () => false,
    ),
    overdue,
  ]);
  clearTimeout(timer);
  if (late) cut();
  return late;
}
