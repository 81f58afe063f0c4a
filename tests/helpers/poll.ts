/**
 * Calls `attempt` until it returns something, every 100 ms, for up to
 * `deadlineMs`. For outcomes the system reaches by design only eventually: a
 * cache expiring, or a first read whose cold start outlasts the lookup's
 * deadline on a loaded machine (the product then degrades, as it should).
 */
export async function poll<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  deadlineMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
