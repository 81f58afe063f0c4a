/**
 * Runs `work` under one deadline: after `ms` the signal handed to `work` is
 * aborted and the result rejects with `onTimeout()`, even if `work` ignores
 * the signal (a stalled credentials provider, say). The timer is cleared
 * however `work` settles.
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(onTimeout());
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
