import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import type { APIGatewayProxyResult } from "aws-lambda";
import { createObservability, type Observability } from "../../src/shared/observability";
import { lambdaContext } from "./proxy-event";

/*
 * The one harness for handler tests. A handler is built with its module's
 * factory from its dependencies (the wiring's builders with a plain config
 * object, over SDK clients mocked with aws-sdk-client-mock, and a Logger and
 * Metrics from `testObservability`), so no test sets a variable or loads a
 * module twice. What the handler logs and emits is read from `captureOutput`.
 */
export { type Handler, lambdaContext, proxyEvent, sampleEvent } from "./proxy-event";

export const context = lambdaContext("test");

/** For signed clients under test: the SigV4 signature needs some credentials, never real ones. */
export const TEST_CREDENTIALS = async () => ({ accessKeyId: "AKIDTEST", secretAccessKey: "secret" });

export function parse(result: APIGatewayProxyResult): unknown {
  return result.body === "" ? undefined : JSON.parse(result.body);
}

export function parseBody(
  body: string,
): { error?: { code: string; message: string } } & Record<string, unknown> {
  return JSON.parse(body);
}

const TEST_NAMESPACE = "Meridian/test";

/**
 * The Logger and Metrics a function builds at cold start from its template's
 * POWERTOOLS_* variables, for `service`, through the same createObservability.
 * A fresh pair is a fresh execution environment: its first invocation counts
 * a ColdStart. DEBUG unless told: the most verbose level any environment uses.
 */
export function testObservability(service: string, logLevel: LogLevel = "DEBUG"): Observability {
  return createObservability({
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: TEST_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: logLevel,
  });
}

export interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** What a function wrote in the current test, as CloudWatch Logs would receive it. */
export interface CapturedOutput {
  /** Every chunk written, in order. */
  chunks(): string[];
  /** Every line that parses as a JSON object. */
  records(): Array<Record<string, unknown>>;
  /** The EMF documents among them (the ones with `_aws`). */
  emf(): Emf[];
  /** Log records (JSON lines that are not EMF). */
  logs(): Array<Record<string, unknown>>;
  /** The name of every metric published, once per data point. */
  metricNames(): string[];
  clear(): void;
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split("\n").flatMap((line) => {
    if (!line.trim().startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

function startCapture(chunks: string[]): void {
  const record = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return true;
  };
  // Outside POWERTOOLS_DEV, Logger and Metrics write through their own Console on these streams.
  jest.spyOn(process.stdout, "write").mockImplementation(record);
  jest.spyOn(process.stderr, "write").mockImplementation(record);
  // The global console too, so that anything bypassing Powertools is seen (and would fail a test).
  for (const method of ["log", "info", "debug", "warn", "error", "trace"] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      chunks.push(`${args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ")}\n`);
    });
  }
}

/**
 * Captures, in every test of the file (or describe block) it is called in,
 * what is written to stdout, stderr and the console: the one way handler
 * tests read logs and metrics. Each test starts with nothing captured; after
 * each, jest.restoreAllMocks() undoes the capture (and any other jest spy).
 */
export function captureOutput(): CapturedOutput {
  let chunks: string[] = [];
  beforeEach(() => {
    chunks = [];
    startCapture(chunks);
  });
  afterEach(() => jest.restoreAllMocks());
  const records = () => jsonLines(chunks.join(""));
  const emf = () => records().filter((entry): entry is Emf => "_aws" in entry);
  return {
    chunks: () => [...chunks],
    records,
    emf,
    logs: () => records().filter((entry) => !("_aws" in entry)),
    metricNames: () =>
      emf().flatMap((document) =>
        document._aws.CloudWatchMetrics.flatMap((group) => group.Metrics.map((metric) => metric.Name)),
      ),
    clear: () => {
      chunks.length = 0;
    },
  };
}

/** A metric's published values across EMF documents, with the document that carried each. */
export function metricValues(documents: Emf[], name: string): Array<{ value: unknown; document: Emf }> {
  return documents.flatMap((document) =>
    document._aws.CloudWatchMetrics.some((group) => group.Metrics.some((metric) => metric.Name === name))
      ? [{ value: document[name], document }]
      : [],
  );
}
