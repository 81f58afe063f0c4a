import { AsyncLocalStorage } from "node:async_hooks";
import { relative } from "node:path";
import { inspect, type ParseArgsConfig, parseArgs } from "node:util";

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

/**
 * The arguments of a main called in-process by `outcomeOf` (a test); a CLI
 * started by node reads process.argv. Carried this way so that every tool's
 * main keeps its one-line `parseCli(config, USAGE)`.
 */
const inProcessArgs = new AsyncLocalStorage<string[]>();

/** Strict parsing: an unknown or misspelled flag is an error naming it, never silently ignored. */
export function parseCli<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    const args = config.args ?? inProcessArgs.getStore() ?? process.argv.slice(2);
    return parseArgs<T>({ ...config, args, strict: true });
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
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, path } = error as { code?: unknown; path?: unknown };
  if (code === "ENOENT" && typeof path === "string")
    return `No such file: ${relative(process.cwd(), path) || path}`;
  return error.message;
}

export interface MainOutcome {
  /** The exit code; undefined when main resolved without one (a server then keeps running). */
  code: number | undefined;
  /** What goes to stderr on a failure: `✖ <message>`, or the error with its stack for a bug. */
  stderr: string;
}

/**
 * What runMain makes of a main's end, as values. `args` stands for the
 * command line (tests call a CLI in-process this way; only a real process
 * proves the exit itself).
 */
export async function outcomeOf(
  main: () => Promise<unknown>,
  args: string[] = process.argv.slice(2),
): Promise<MainOutcome> {
  try {
    const code = await inProcessArgs.run(args, main);
    return { code: typeof code === "number" ? code : undefined, stderr: "" };
  } catch (error) {
    const bug = isBug(error) || Boolean(process.env.MERIDIAN_DEBUG);
    return { code: 1, stderr: bug ? `${inspect(error)}\n` : `\n✖ ${describeFailure(error)}\n` };
  }
}

/**
 * Runs a CLI's main. A failure prints `✖ <message>` (no stack trace unless it
 * is a bug in the tool, or MERIDIAN_DEBUG is set) and exits 1; a number
 * returned is the exit code.
 */
export function runMain(main: () => Promise<unknown>): void {
  void outcomeOf(main).then(({ code, stderr }) => {
    if (stderr) process.stderr.write(stderr);
    if (code !== undefined) process.exit(code);
  });
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
