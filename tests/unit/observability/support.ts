import type { APIGatewayProxyEvent, Context } from "aws-lambda";

/**
 * What a function writes, as CloudWatch Logs would receive it. Powertools'
 * Logger and Metrics write through their own Console on process.stdout and
 * process.stderr (outside POWERTOOLS_DEV), so the streams are what is
 * captured; the global console too, in case anything bypasses Powertools.
 */
export interface CapturedOutput {
  /** Every chunk written, in order. */
  chunks(): string[];
  /** Every line that parses as a JSON object. */
  records(): Array<Record<string, unknown>>;
  /** The EMF documents among them (the ones with `_aws`). */
  emf(): Emf[];
  /** Log records (JSON lines that are not EMF). */
  logs(): Array<Record<string, unknown>>;
  clear(): void;
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

/** Call in beforeEach; jest.restoreAllMocks in afterEach undoes it. */
export function captureOutput(): CapturedOutput {
  let chunks: string[] = [];
  const record = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return true;
  };
  jest.spyOn(process.stdout, "write").mockImplementation(record);
  jest.spyOn(process.stderr, "write").mockImplementation(record);
  for (const method of ["log", "info", "debug", "warn", "error", "trace"] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      chunks.push(`${args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ")}\n`);
    });
  }
  const records = (): Array<Record<string, unknown>> =>
    chunks
      .join("")
      .split("\n")
      .flatMap((line) => {
        if (!line.trim().startsWith("{")) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    chunks: () => [...chunks],
    records,
    emf: () => records().filter((entry): entry is Emf => "_aws" in entry),
    logs: () => records().filter((entry) => !("_aws" in entry)),
    clear: () => {
      chunks = [];
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

/**
 * The environment a deployed function gets from its template's Globals,
 * without POWERTOOLS_DEV: output goes where it goes in Lambda, to stdout.
 */
export function functionEnvironment(service: string, extra: Record<string, string> = {}): void {
  delete process.env.POWERTOOLS_DEV;
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: "Meridian/test",
    POWERTOOLS_LOG_LEVEL: "DEBUG",
    POWERTOOLS_METRICS_DISABLED: "false",
    // Lambda sets this; Powertools reports a cold start only for on-demand environments.
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret-access-key-for-tests",
    ...extra,
  });
}

export function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: `${functionName}-request`,
    logGroupName: `/meridian/test/${functionName}`,
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function proxyEvent(options: {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  principal?: { userId: string; username: string };
}): APIGatewayProxyEvent {
  return {
    httpMethod: options.method,
    resource: options.resource,
    path: options.resource,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    headers: { "Content-Type": "application/json", ...options.headers },
    multiValueHeaders: {},
    isBase64Encoded: false,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    requestContext: {
      requestId: "api-request-1",
      authorizer: options.principal
        ? { ...options.principal, principalId: options.principal.userId }
        : undefined,
    } as unknown as APIGatewayProxyEvent["requestContext"],
  };
}

/**
 * Loads handlers in a fresh module registry, as a new execution environment
 * would: wiring and Powertools read their configuration at module scope, and
 * the cold-start flag lives in the registry's Metrics instance.
 */
export function loadIsolated<T>(service: string, env: Record<string, string>, load: () => T): T {
  functionEnvironment(service, env);
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = load();
  });
  if (loaded === undefined) throw new Error(`${service} handlers did not load`);
  return loaded;
}
