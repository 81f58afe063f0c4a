import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "./iam";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "./stack";
import { createLogSink, type LogEntry } from "./support";

/**
 * Starts the whole local stack for a test file: ephemeral ports, a fresh
 * temporary data directory, its own build directory and no log output, so
 * test files can each run one in parallel. Set MERIDIAN_STACK_LOGS=pretty to
 * see handler and gateway logs while debugging.
 */

export interface TestStack extends LocalStack {
  /** Everything the stack logged (handler lines, gateway access log, platform events). */
  logs: LogEntry[];
  /** Stops the stack; the data directory is removed unless `keepData` (to start again on it). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export async function startTestStack(options: LocalStackOptions): Promise<TestStack> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "local-stack-"));
  const logs: LogEntry[] = [];
  const pretty = process.env.MERIDIAN_STACK_LOGS === "pretty";
  const printer = pretty
    ? createLogSink("pretty", (line) => process.stderr.write(`${line}\n`), false)
    : undefined;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      gatewayPort: 0,
      dynamodbPort: 0,
      awsPort: 0,
      schedules: false,
      ...options,
      dataDir,
      logs: (entry) => {
        if (logs.length < 5000) logs.push(entry);
        printer?.(entry);
      },
    });
  } catch (error) {
    // Best effort: the start's own error is the one worth reporting.
    try {
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Left in the temporary directory.
    }
    throw error;
  }
  const stop = stack.stop;
  return Object.assign(stack, {
    logs,
    async stop(stopOptions: { keepData?: boolean } = {}) {
      await stop();
      if (!stopOptions.keepData && ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/**
 * A fetch signed with SigV4 (service execute-api) by the stack's local
 * (operator) credentials, for AWS_IAM routes. `credentials` overrides them: a
 * wrong secret, say, or a function's own (`stack.functions[id].credentials`,
 * whose session token is sent and signed as X-Amz-Security-Token).
 */
export async function signedFetch(
  stack: Pick<LocalStack, "region" | "credentials">,
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = stack.credentials,
): Promise<Response> {
  const target = new URL(url);
  const signer = new SignatureV4({
    service: "execute-api",
    region: stack.region,
    credentials,
    sha256: NodeSha256,
  });
  const query: Record<string, string> = {};
  target.searchParams.forEach((value, key) => {
    query[key] = value;
  });
  const signed = await signer.sign({
    method: init.method ?? "GET",
    protocol: target.protocol,
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    query,
    headers: { host: target.host, ...(init.headers ?? {}) },
    body: init.body,
  });
  return fetch(target, {
    method: init.method ?? "GET",
    headers: signed.headers,
    body: init.body,
    signal: init.signal,
  });
}

/** A fetch whose reply body is parsed as JSON when it is JSON. */
export interface JsonReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are asserted structurally
  body: any;
  text: string;
}

export async function call(
  method: string,
  url: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const response = await fetch(url, { method, headers: options.headers, body: options.body });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}
