import { randomBytes, randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import { type LogSink, parseFunctionLine } from "../support";
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

export interface RuntimeOptions {
  /** Environments unused this long end (Lambda reclaims idle ones too). Default 10 minutes. */
  idleMs?: number;
  /** A V8 code cache shared by the environments (see code-cache.ts); none by default. */
  codeCacheDir?: string;
}

export interface InvokeOptions {
  requestId?: string;
  /** A caller's own deadline (API Gateway's 29 s) when shorter than the function's Timeout. */
  timeoutMs?: number;
}

type ReadySignal = (value: { ok: true } | { ok: false; error: SerializedError }) => void;

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
    private readonly options: RuntimeOptions = {},
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
    sandbox.idleTimer = setTimeout(
      () => {
        const index = this.idle.indexOf(sandbox);
        if (index >= 0) this.idle.splice(index, 1);
        void this.kill(sandbox);
      },
      this.options.idleMs ?? 10 * 60_000,
    );
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
      ...(this.options.codeCacheDir === undefined ? {} : { codeCacheDir: this.options.codeCacheDir }),
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
    let resolveReady: ReadySignal = () => {};
    const sandbox: Sandbox = {
      worker,
      ready: new Promise((resolve) => {
        resolveReady = resolve;
      }),
      dead: false,
      served: 0,
    };
    this.all.add(sandbox);
    this.pipeOutput(worker);
    worker.on("message", (message: FromWorker) => this.onMessage(sandbox, message, resolveReady));
    this.watchForDeath(sandbox, resolveReady);
    return sandbox;
  }

  /** The handler's stdout and stderr become log lines of this function. */
  private pipeOutput(worker: Worker): void {
    for (const [stream, name] of [
      [worker.stdout, "stdout"],
      [worker.stderr, "stderr"],
    ] as const) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        if (line.trim() !== "") this.log(parseFunctionLine(line, this.origin, name));
      });
    }
  }

  private get origin(): { service: string; function: string } {
    return { service: this.fn.service, function: this.fn.logicalId };
  }

  private platformLog(level: "DEBUG" | "ERROR", message: string): void {
    this.log({ time: new Date(), source: "platform", ...this.origin, level, message, fields: {} });
  }

  private onMessage(sandbox: Sandbox, message: FromWorker, resolveReady: ReadySignal): void {
    if (message.type === "init") {
      this.platformLog(
        message.ok ? "DEBUG" : "ERROR",
        message.ok ? `cold start: init ${message.durationMs.toFixed(0)} ms` : "init failed",
      );
      resolveReady(message.ok ? { ok: true } : { ok: false, error: message.error });
      return;
    }
    const current = sandbox.current;
    if (!current || current.id !== message.id) return;
    const durationMs = performance.now() - current.started;
    current.settle(
      message.ok
        ? {
            ok: true,
            requestId: current.requestId,
            payload: JSON.parse(message.payloadJson) as unknown,
            payloadBytes: Buffer.byteLength(message.payloadJson),
            durationMs,
            coldStart: false,
          }
        : { ok: false, requestId: current.requestId, kind: "error", error: message.error, durationMs },
    );
  }

  /** A worker that errors or exits ends its invocation as a crash (or is logged when idle). */
  private watchForDeath(sandbox: Sandbox, resolveReady: ReadySignal): void {
    const die = (error: SerializedError): void => {
      const wasDead = sandbox.dead;
      sandbox.dead = true;
      this.all.delete(sandbox);
      const index = this.idle.indexOf(sandbox);
      if (index >= 0) this.idle.splice(index, 1);
      resolveReady({ ok: false, error });
      const current = sandbox.current;
      if (current) {
        const durationMs = performance.now() - current.started;
        current.settle({ ok: false, requestId: current.requestId, kind: "crash", error, durationMs });
      } else if (!wasDead && !this.stopped) {
        this.platformLog("ERROR", `${error.errorType}: ${error.errorMessage}`);
      }
    };
    sandbox.worker.on("error", (error: Error & { code?: string }) => {
      const errorType =
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? "Runtime.OutOfMemory"
          : error.code === "ERR_UNHANDLED_REJECTION"
            ? "Runtime.UnhandledPromiseRejection"
            : error.name || "Error";
      die({ errorType, errorMessage: error.message, trace: (error.stack ?? "").split("\n") });
    });
    sandbox.worker.on("exit", (code) => {
      if (!sandbox.dead || sandbox.current) {
        die({
          errorType: "Runtime.ExitError",
          errorMessage: `Runtime exited with error: exit status ${code}`,
        });
      }
    });
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
