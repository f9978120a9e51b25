/** Waits for `p`, but at most `ms` (a destination that never answers must not hang shutdown). */
export async function bounded(p: Promise<void>, ms = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise<void>((resolve) => {
      // Ref'd on purpose: it keeps the loop alive while an unref'd worker (pino transport) drains.
      timer = setTimeout(resolve, ms);
    }),
  ]);
  if (timer) clearTimeout(timer);
}
