import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { parentPort, workerData } from "node:worker_threads";
import { enableCodeCache } from "./code-cache";

/**
 * The Lambda execution environment of one function, run inside a
 * worker_thread: loads the bundle once (the init phase, a cold start), then
 * serves one invocation at a time like Lambda's Node.js runtime, with a
 * context object and Lambda's console format. Bundled by esbuild at start-up;
 * runs with no TypeScript loader.
 */

export interface WorkerConfig {
  modulePath: string;
  moduleName: string;
  exportName: string;
  format: "cjs" | "esm";
  functionName: string;
  invokedFunctionArn: string;
  memorySize: number;
  logGroupName: string;
  logStreamName: string;
  logFormat: "Text" | "JSON";
  /** Where compiled code is shared between environments; the init phase uses and fills it. */
  codeCacheDir?: string;
}

export interface SerializedError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type ToWorker = {
  type: "invoke";
  id: number;
  requestId: string;
  traceId: string;
  deadline: number;
  eventJson: string;
};

export type FromWorker =
  | { type: "init"; ok: true; durationMs: number }
  | { type: "init"; ok: false; durationMs: number; error: SerializedError }
  | { type: "result"; id: number; ok: true; payloadJson: string }
  | { type: "result"; id: number; ok: false; error: SerializedError };

type Callback = (error?: unknown, result?: unknown) => void;
type Handler = (event: unknown, context: unknown, callback: Callback) => unknown;

const config = workerData as WorkerConfig;
const port = parentPort;
let currentRequestId: string | undefined;

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return {
      errorType: error.name || "Error",
      errorMessage: error.message,
      trace: (error.stack ?? "").split("\n"),
    };
  }
  return { errorType: typeof error, errorMessage: String(error) };
}

/** Lambda's Node.js runtime rewrites console output into its text or JSON log format. */
function patchConsole(): void {
  const levels: Array<[keyof Console, string]> = [
    ["log", "INFO"],
    ["info", "INFO"],
    ["warn", "WARN"],
    ["error", "ERROR"],
    ["debug", "DEBUG"],
    ["trace", "TRACE"],
  ];
  for (const [method, level] of levels) {
    (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
      const message = format(...args);
      const timestamp = new Date().toISOString();
      const line =
        config.logFormat === "JSON"
          ? JSON.stringify({ timestamp, level, requestId: currentRequestId, message })
          : `${timestamp}\t${currentRequestId ?? "undefined"}\t${level}\t${message.replaceAll("\n", "\r")}`;
      process.stdout.write(`${line}\n`);
    };
  }
}

// `import()` written so the bundler leaves it alone: ESM handlers load through Node's own loader.
const dynamicImport = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<Record<string, unknown>>;

async function loadHandler(): Promise<Handler> {
  if ((process.env.NODE_OPTIONS ?? "").includes("--enable-source-maps")) process.setSourceMapsEnabled(true);
  const loaded =
    config.format === "esm"
      ? await dynamicImport(pathToFileURL(config.modulePath).href)
      : (createRequire(config.modulePath)(config.modulePath) as Record<string, unknown>);
  const handler =
    loaded[config.exportName] ?? (loaded.default as Record<string, unknown> | undefined)?.[config.exportName];
  if (typeof handler !== "function") {
    const error = new Error(`${config.moduleName}.${config.exportName} is undefined or not exported`);
    error.name = "Runtime.HandlerNotFound";
    throw error;
  }
  return handler as Handler;
}

function call(handler: Handler, event: unknown, context: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback: Callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (result: unknown) => callback(null, result);
    context.fail = (error: unknown) => callback(error ?? new Error("handled"));
    const returned = handler(event, context, callback);
    if (returned && typeof (returned as Promise<unknown>).then === "function") {
      (returned as Promise<unknown>).then(
        (value) => callback(null, value),
        (error: unknown) => callback(error ?? new Error("Rejected with no reason")),
      );
    } else if (handler.length < 3) {
      // A synchronous handler without a callback parameter: its return value is the result.
      callback(null, returned);
    }
  });
}

async function main(): Promise<void> {
  if (!port) throw new Error("worker.ts must run in a worker thread");
  patchConsole();
  const started = performance.now();
  let saveCodeCache = config.codeCacheDir === undefined ? undefined : enableCodeCache(config.codeCacheDir);
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    const serialized = serializeError(error);
    if (serialized.errorType === "SyntaxError") serialized.errorType = "Runtime.UserCodeSyntaxError";
    port.postMessage({
      type: "init",
      ok: false,
      durationMs: performance.now() - started,
      error: serialized,
    } satisfies FromWorker);
    return;
  }
  port.postMessage({ type: "init", ok: true, durationMs: performance.now() - started } satisfies FromWorker);
  port.on("message", async (message: ToWorker) => {
    if (message.type !== "invoke") return;
    currentRequestId = message.requestId;
    process.env._X_AMZN_TRACE_ID = message.traceId;
    const context: Record<string, unknown> = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: config.functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: config.invokedFunctionArn,
      memoryLimitInMB: String(config.memorySize),
      awsRequestId: message.requestId,
      logGroupName: config.logGroupName,
      logStreamName: config.logStreamName,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    };
    let reply: FromWorker;
    try {
      const result = await call(handler, JSON.parse(message.eventJson), context);
      reply = {
        type: "result",
        id: message.id,
        ok: true,
        payloadJson: JSON.stringify(result === undefined ? null : result),
      };
    } catch (error) {
      reply = { type: "result", id: message.id, ok: false, error: serializeError(error) };
    }
    port.postMessage(reply);
    // After the first invocation, so what it compiled (the SDK's request path, say) is cached too.
    saveCodeCache?.();
    saveCodeCache = undefined;
  });
}

void main();
