import { relative } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

// Every CLI imports this module before it makes an SDK client. The host may run Node 20 while Lambda runs 22: the
// SDK's seven-line "will require node >=22" notice says nothing about this project.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/**
 * A mistake in how a CLI was called (a bad flag or value, a missing file):
 * `runMain` prints it as one line, with where to look for the usage.
 */
export class UsageError extends Error {
  override name = "UsageError";
}

/** `npm start` or `npm run <script>`, read from the usage text's first line. */
function commandOf(usage: string): string | undefined {
  return /npm (?:start|run [\w:-]+)/.exec(usage)?.[0];
}

/** Where the full usage is: `npm run deploy -- --help`. */
export function helpHint(usage: string): string {
  const command = commandOf(usage);
  return command ? `\`${command} -- --help\` shows the options` : "--help shows the options";
}

/** Strict parsing: an unknown or misspelled flag is an error naming it, never silently ignored. */
export function parseCli<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (error) {
    // Node appends advice about '--' that only confuses here.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(`${message}; ${helpHint(usage)}`);
  }
}

/** Errors that mean a bug in the tool, not in how it was called: those keep their stack. */
function isBug(error: unknown): error is Error {
  return (
    (error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError) &&
    !String((error as { code?: unknown }).code ?? "").startsWith("ERR_")
  );
}

/** One line for what went wrong; a file the user named that is not there says which. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, path } = error as { code?: unknown; path?: unknown };
  if (code === "ENOENT" && typeof path === "string")
    return `No such file: ${relative(process.cwd(), path) || path}`;
  return error.message;
}

/**
 * Runs a CLI's main. A failure prints `✖ <message>` (no stack trace unless it
 * is a bug in the tool, or MERIDIAN_DEBUG is set) and exits 1; a number
 * returned is the exit code.
 */
export function runMain(main: () => Promise<unknown>): void {
  main().then(
    (code) => {
      if (typeof code === "number") process.exit(code);
    },
    (error: unknown) => {
      if (isBug(error) || process.env.MERIDIAN_DEBUG) console.error(error);
      else console.error(`\n✖ ${describeFailure(error)}`);
      process.exit(1);
    },
  );
}

/** A step that takes a while, on stderr so stdout stays the result (figures, tables). */
export function progress(step: string): void {
  process.stderr.write(`… ${step}\n`);
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
