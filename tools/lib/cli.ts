import { type ParseArgsConfig, parseArgs } from "node:util";

/** Strict parsing: an unknown or misspelled flag is an error with the usage, never silently ignored. */
export function parseCli<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${usage}`);
  }
}

/** Runs a CLI's main, printing only the message (no stack trace) for a failure. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`\n✖ ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}

export function seconds(startedAt: bigint): string {
  return `${(Number(process.hrtime.bigint() - startedAt) / 1e9).toFixed(2)}s`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `attempt` until it returns something, every 100 ms, for up to
 * `deadlineMs`. For outcomes a system reaches by design only eventually: a
 * cache expiring, or a first read whose cold start outlasts a lookup's
 * deadline on a loaded machine.
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
    await sleep(100);
  }
}

/** `a,b` or repeated flags -> [a, b]. */
export function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(",")).filter(Boolean);
}
