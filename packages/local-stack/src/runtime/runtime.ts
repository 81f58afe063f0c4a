import { randomBytes, randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import { build } from "esbuild";
import type { FunctionSpec } from "../project";
import { type LogSink, parseFunctionLine } from "../support";
import type { FunctionDefinition } from "../template";
import { bundleFunction } from "./bundle";
import type { FromWorker, SerializedError, ToWorker, WorkerConfig } from "./worker";

/**
 * Lambda-like execution of bundled handlers: a pool of execution
 * environments (worker threads) per function, each loading the bundle once
 * and serving one invocation at a time; the template's Timeout and
 * MemorySize enforced; crashes and timeouts end the environment, never the
 * stack.
 */

/** Lambda's synchronous invoke limit, request and response. */
export const MAX_PAYLOAD_BYTES = 6_291_556;

export type InvokeOutcome =
  | {
      ok: true;
      requestId: string;
      payload: unknown;
      /** Size of the response as the function serialised it (Lambda's limit applies to this). */
      payloadBytes: number;
      durationMs: number;
      coldStart: boolean;
    }
  | {
      ok: false;
      requestId: string;
      /** error: the handler threw; timeout: Timeout elapsed; crash: the environment died; init: the module failed to load. */
      kind: "error" | "timeout" | "crash" | "init" | "payload";
      error: SerializedError;
      durationMs: number;
    };

export interface RuntimeFunction {
  id: string;
  service: string;
  logicalId: string;
  functionName: string;
  arn: string;
  modulePath: string;
  /** Set when bundling failed: every invocation fails with it. */
  buildError?: string;
  moduleName: string;
  exportName: string;
  format: "cjs" | "esm";
  /** Every variable the environment sees (template + Lambda's own). */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  logFormat: "Text" | "JSON";
  logGroupName: string;
  maxConcurrency: number;
  runtime: string;
  /** The template's own variables (what GetFunction reports), without Lambda's. */
  templateEnvironment: Record<string, string>;
}

export interface InvokeOptions {
  requestId?: string;
  /** A caller's own deadline (API Gateway's 29 s) when shorter than the function's Timeout. */
  timeoutMs?: number;
}

interface Sandbox {
  worker: Worker;
  ready: Promise<{ ok: true } | { ok: false; error: SerializedError }>;
  current?: { id: number; settle: (outcome: InvokeOutcome) => void; requestId: string; started: number };
  idleTimer?: NodeJS.Timeout;
  dead: boolean;
  served: number;
}

let invocationIds = 0;

export class FunctionRuntime {
  private readonly idle: Sandbox[] = [];
  private readonly all = new Set<Sandbox>();
  private readonly waiters: Array<(sandbox: Sandbox | undefined) => void> = [];
  private stopped = false;

  constructor(
    readonly fn: RuntimeFunction,
    private readonly workerScript: string,
    private readonly log: LogSink,
    private readonly idleMs = 10 * 60_000,
  ) {}

  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeOutcome> {
    const requestId = options.requestId ?? randomUUID();
    const started = performance.now();
    const fail = (
      kind: Extract<InvokeOutcome, { ok: false }>["kind"],
      errorType: string,
      errorMessage: string,
    ): InvokeOutcome => ({
      ok: false,
      requestId,
      kind,
      error: { errorType, errorMessage },
      durationMs: performance.now() - started,
    });
    const eventJson = JSON.stringify(event ?? null);
    if (Buffer.byteLength(eventJson) > MAX_PAYLOAD_BYTES) {
      return fail(
        "payload",
        "RequestEntityTooLargeException",
        `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      );
    }
    if (this.fn.buildError !== undefined) {
      return this.platformError(
        fail("init", "Runtime.ImportModuleError", `Bundling ${this.fn.id} failed: ${this.fn.buildError}`),
      );
    }
    const sandbox = await this.acquire();
    if (!sandbox) return fail("crash", "Runtime.Stopped", "The local stack is stopping");
    const timeoutMs = Math.min(this.fn.timeoutSeconds * 1000, options.timeoutMs ?? Number.POSITIVE_INFINITY);
    try {
      const init = await withTimeout(sandbox.ready, Math.max(10_000, timeoutMs));
      if (init === "timeout") {
        this.kill(sandbox);
        return this.platformError(
          fail("timeout", "Sandbox.Timedout", `RequestId: ${requestId} Error: Init timed out`),
        );
      }
      if (!init.ok) {
        this.kill(sandbox);
        return this.platformError({
          ok: false,
          requestId,
          kind: "init",
          error: init.error,
          durationMs: performance.now() - started,
        });
      }
      const coldStart = sandbox.served === 0;
      sandbox.served++;
      const outcome = await this.run(sandbox, eventJson, requestId, timeoutMs, started);
      if (outcome.ok) {
        const size = outcome.payloadBytes;
        if (size > MAX_PAYLOAD_BYTES) {
          return this.platformError(
            fail(
              "payload",
              "Function.ResponseSizeTooLarge",
              `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
            ),
          );
        }
        return { ...outcome, coldStart };
      }
      // Lambda's runtime logs every failed invocation ("Invoke Error"); so does the local one.
      return this.platformError(outcome);
    } finally {
      this.release(sandbox);
    }
  }

  /** Ends every environment; later invocations fail fast. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    await Promise.all([...this.all].map((sandbox) => this.kill(sandbox)));
  }

  private run(
    sandbox: Sandbox,
    eventJson: string,
    requestId: string,
    timeoutMs: number,
    started: number,
  ): Promise<InvokeOutcome> {
    return new Promise((resolve) => {
      const id = ++invocationIds;
      const timer = setTimeout(() => {
        sandbox.current = undefined;
        // Lambda resets the environment after a timeout: the next call is a cold start.
        this.kill(sandbox);
        const seconds = (timeoutMs / 1000).toFixed(2);
        resolve({
          ok: false,
          requestId,
          kind: "timeout",
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
          },
          durationMs: performance.now() - started,
        });
      }, timeoutMs);
      sandbox.current = {
        id,
        requestId,
        started,
        settle: (outcome) => {
          clearTimeout(timer);
          sandbox.current = undefined;
          resolve(outcome);
        },
      };
      const message: ToWorker = {
        type: "invoke",
        id,
        requestId,
        traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`,
        deadline: Date.now() + timeoutMs,
        eventJson,
      };
      sandbox.worker.postMessage(message);
    });
  }

  private platformError(outcome: InvokeOutcome): InvokeOutcome {
    if (!outcome.ok) {
      // An authorizer failing with "Unauthorized" is how it answers 401: expected, not a fault.
      const expected = outcome.kind === "error" && outcome.error.errorMessage === "Unauthorized";
      // Frames of the local runtime and of Node itself say nothing about the handler.
      const frames = (outcome.error.trace ?? []).filter(
        (frame, index) =>
          index === 0 || !/_runtime\/worker\.js|node:internal|new Promise \(<anonymous>\)/.test(frame),
      );
      this.log({
        time: new Date(),
        source: "platform",
        service: this.fn.service,
        function: this.fn.logicalId,
        level: expected ? "WARN" : "ERROR",
        message: `Invoke Error ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
        fields: {
          requestId: outcome.requestId,
          ...(frames.length > 1 && !expected ? { stack: frames.join("\n") } : {}),
        },
      });
    }
    return outcome;
  }

  private acquire(): Promise<Sandbox | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(idle.idleTimer);
      return Promise.resolve(idle);
    }
    if (this.all.size < this.fn.maxConcurrency) return Promise.resolve(this.spawn());
    // Lambda would scale out further or throttle; locally callers queue for a free environment.
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(sandbox: Sandbox): void {
    if (this.stopped) return;
    if (sandbox.dead) {
      this.all.delete(sandbox);
      const waiter = this.waiters.shift();
      if (waiter) waiter(this.spawn());
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(sandbox);
      return;
    }
    sandbox.idleTimer = setTimeout(() => {
      const index = this.idle.indexOf(sandbox);
      if (index >= 0) this.idle.splice(index, 1);
      void this.kill(sandbox);
    }, this.idleMs);
    sandbox.idleTimer.unref();
    this.idle.push(sandbox);
  }

  private kill(sandbox: Sandbox): Promise<void> {
    sandbox.dead = true;
    clearTimeout(sandbox.idleTimer);
    this.all.delete(sandbox);
    const index = this.idle.indexOf(sandbox);
    if (index >= 0) this.idle.splice(index, 1);
    return sandbox.worker.terminate().then(
      () => undefined,
      () => undefined,
    );
  }

  private spawn(): Sandbox {
    const fn = this.fn;
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    const logStreamName = `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
    const config: WorkerConfig = {
      modulePath: fn.modulePath,
      moduleName: fn.moduleName,
      exportName: fn.exportName,
      format: fn.format,
      functionName: fn.functionName,
      invokedFunctionArn: fn.arn,
      memorySize: fn.memorySize,
      logGroupName: fn.logGroupName,
      logStreamName,
      logFormat: fn.logFormat,
    };
    const worker = new Worker(this.workerScript, {
      workerData: config,
      env: { ...fn.environment, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName },
      stdout: true,
      stderr: true,
      execArgv: [],
      // MemorySize bounds the heap, so a leak ends in an out-of-memory error as on Lambda.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(fn.memorySize, 128) },
    });
    let resolveReady: (value: { ok: true } | { ok: false; error: SerializedError }) => void = () => {};
    const sandbox: Sandbox = {
      worker,
      ready: new Promise((resolve) => {
        resolveReady = resolve;
      }),
      dead: false,
      served: 0,
    };
    this.all.add(sandbox);
    const origin = { service: fn.service, function: fn.logicalId };
    for (const [stream, name] of [
      [worker.stdout, "stdout"],
      [worker.stderr, "stderr"],
    ] as const) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        if (line.trim() !== "") this.log(parseFunctionLine(line, origin, name));
      });
    }
    worker.on("message", (message: FromWorker) => {
      if (message.type === "init") {
        this.log({
          time: new Date(),
          source: "platform",
          ...origin,
          level: message.ok ? "DEBUG" : "ERROR",
          message: message.ok ? `cold start: init ${message.durationMs.toFixed(0)} ms` : "init failed",
          fields: {},
        });
        resolveReady(message.ok ? { ok: true } : { ok: false, error: message.error });
        return;
      }
      const current = sandbox.current;
      if (!current || current.id !== message.id) return;
      current.settle(
        message.ok
          ? {
              ok: true,
              requestId: current.requestId,
              payload: JSON.parse(message.payloadJson) as unknown,
              payloadBytes: Buffer.byteLength(message.payloadJson),
              durationMs: performance.now() - current.started,
              coldStart: false,
            }
          : {
              ok: false,
              requestId: current.requestId,
              kind: "error",
              error: message.error,
              durationMs: performance.now() - current.started,
            },
      );
    });
    const die = (error: SerializedError): void => {
      const wasDead = sandbox.dead;
      sandbox.dead = true;
      this.all.delete(sandbox);
      const index = this.idle.indexOf(sandbox);
      if (index >= 0) this.idle.splice(index, 1);
      resolveReady({ ok: false, error });
      const current = sandbox.current;
      if (current) {
        current.settle({
          ok: false,
          requestId: current.requestId,
          kind: "crash",
          error,
          durationMs: performance.now() - current.started,
        });
      } else if (!wasDead && !this.stopped) {
        this.log({
          time: new Date(),
          source: "platform",
          ...origin,
          level: "ERROR",
          message: `${error.errorType}: ${error.errorMessage}`,
          fields: {},
        });
      }
    };
    worker.on("error", (error: Error & { code?: string }) => {
      const errorType =
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? "Runtime.OutOfMemory"
          : error.code === "ERR_UNHANDLED_REJECTION"
            ? "Runtime.UnhandledPromiseRejection"
            : error.name || "Error";
      die({ errorType, errorMessage: error.message, trace: (error.stack ?? "").split("\n") });
    });
    worker.on("exit", (code) => {
      if (!sandbox.dead || sandbox.current) {
        die({
          errorType: "Runtime.ExitError",
          errorMessage: `Runtime exited with error: exit status ${code}`,
        });
      }
    });
    return sandbox;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Bundles runtime/worker.ts so environments run plain JavaScript, whatever loader started the stack. */
export async function buildWorkerScript(buildDir: string): Promise<string> {
  const outfile = join(buildDir, "_runtime", "worker.js");
  await build({
    entryPoints: [join(__dirname, "worker.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "silent",
  });
  return outfile;
}

export type BuildResult = { ok: true; modulePath: string } | { ok: false; error: string };

function describeBuildError(error: unknown): string {
  const messages = (
    error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }
  ).errors;
  return messages?.length
    ? messages
        .map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text))
        .join("; ")
    : (error as Error).message;
}

function outDirOf(spec: FunctionSpec, buildDir: string): string {
  return join(buildDir, spec.service, spec.logicalId);
}

/**
 * The same esbuild options SAM uses; @aws-sdk stays external and resolves
 * from the repository's node_modules. A failed build is returned, not thrown:
 * that one function then fails its invocations while the rest of the stack runs.
 */
export async function buildFunction(spec: FunctionSpec, buildDir: string): Promise<BuildResult> {
  try {
    const result = await bundleFunction(spec, outDirOf(spec, buildDir));
    return { ok: true, modulePath: result.outFile };
  } catch (error) {
    return { ok: false, error: describeBuildError(error) };
  }
}

/**
 * Bundles many functions: those with identical esbuild options in one esbuild
 * run (shared parsing makes it about three times faster than one run each),
 * each entry still its own standalone bundle laid out as bundleFunction does.
 * If a group fails, its functions are rebuilt one by one so only the broken
 * ones fail.
 */
export function buildFunctions(specs: FunctionSpec[], buildDir: string): Map<string, Promise<BuildResult>> {
  const results = new Map<string, Promise<BuildResult>>();
  const groups = new Map<string, FunctionSpec[]>();
  for (const spec of specs) {
    const key = JSON.stringify(spec.buildOptions);
    groups.set(key, [...(groups.get(key) ?? []), spec]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const together = build({
      ...first.buildOptions,
      entryPoints: group.map((spec) => ({
        in: spec.entryPoint,
        out: join(spec.service, spec.logicalId, spec.moduleName),
      })),
      outdir: buildDir,
      logLevel: "silent",
    }).then(
      () => true,
      () => false,
    );
    for (const spec of group) {
      results.set(
        `${spec.service}/${spec.logicalId}`,
        together.then((ok) =>
          ok
            ? { ok: true, modulePath: join(outDirOf(spec, buildDir), `${spec.moduleName}.js`) }
            : buildFunction(spec, buildDir),
        ),
      );
    }
  }
  return results;
}

export interface LambdaEnvironmentContext {
  region: string;
  /** The function's own (its role's) when the stack issued them. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  dynamodbEndpoint: string;
  awsEndpoint: string;
  taskRoot: string;
}

/** The variables Lambda sets, plus the standard endpoint overrides that point the SDK at the local stack. */
export function lambdaEnvironment(
  definition: FunctionDefinition,
  context: LambdaEnvironmentContext,
): Record<string, string> {
  const runtime = definition.runtime.startsWith("nodejs") ? definition.runtime : "nodejs22.x";
  return {
    ...definition.environment,
    AWS_REGION: context.region,
    AWS_DEFAULT_REGION: context.region,
    AWS_ACCESS_KEY_ID: context.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: context.credentials.secretAccessKey,
    ...(context.credentials.sessionToken ? { AWS_SESSION_TOKEN: context.credentials.sessionToken } : {}),
    AWS_ENDPOINT_URL_DYNAMODB: context.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SSM: context.awsEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: context.awsEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: context.awsEndpoint,
    AWS_ENDPOINT_URL_API_GATEWAY: context.awsEndpoint,
    AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
    _HANDLER: definition.spec.handler,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_LOG_GROUP_NAME: definition.logGroupName,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    ...(definition.logFormat === "JSON" ? { AWS_LAMBDA_LOG_FORMAT: "JSON" } : {}),
    ...(definition.applicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: definition.applicationLogLevel } : {}),
    LAMBDA_TASK_ROOT: context.taskRoot,
    LAMBDA_RUNTIME_DIR: "/var/runtime",
    LANG: "en_US.UTF-8",
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    // The host may run an older Node than the template's runtime; the SDK's notice about it is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** Assembles what a FunctionRuntime needs from a planned, built function. */
export function runtimeFunction(
  definition: FunctionDefinition,
  built: BuildResult,
  context: Omit<LambdaEnvironmentContext, "taskRoot">,
  maxConcurrency: number,
): RuntimeFunction {
  const modulePath = built.ok ? built.modulePath : "";
  return {
    id: definition.id,
    service: definition.service,
    logicalId: definition.logicalId,
    functionName: definition.functionName,
    arn: definition.arn,
    modulePath,
    ...(built.ok ? {} : { buildError: built.error }),
    moduleName: definition.spec.moduleName,
    exportName: definition.spec.exportName,
    format: definition.spec.buildOptions.format === "esm" ? "esm" : "cjs",
    environment: lambdaEnvironment(definition, { ...context, taskRoot: built.ok ? dirname(modulePath) : "" }),
    timeoutSeconds: definition.timeoutSeconds,
    memorySize: definition.memorySize,
    logFormat: definition.logFormat,
    logGroupName: definition.logGroupName,
    runtime: definition.runtime,
    templateEnvironment: definition.environment,
    maxConcurrency: Math.max(1, Math.min(maxConcurrency, definition.reservedConcurrency ?? maxConcurrency)),
  };
}
