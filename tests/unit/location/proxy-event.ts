import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";

export interface EventOptions {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The token authorizer's context; absent for public and IAM routes. */
  principal?: { userId: string; username: string };
}

export function proxyEvent(options: EventOptions): APIGatewayProxyEvent {
  const path = Object.entries(options.pathParameters ?? {}).reduce(
    (acc, [name, value]) => acc.replace(`{${name}}`, value),
    options.resource,
  );
  return {
    httpMethod: options.method,
    resource: options.resource,
    path,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    headers: { "Content-Type": "application/json", ...options.headers },
    multiValueHeaders: {},
    isBase64Encoded: false,
    body:
      options.body === undefined
        ? null
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body),
    requestContext: {
      requestId: "test-request",
      authorizer: options.principal
        ? { ...options.principal, principalId: options.principal.userId }
        : undefined,
    } as unknown as APIGatewayProxyEvent["requestContext"],
  };
}

export const context = {
  functionName: "test",
  awsRequestId: "test-request",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export function parse(result: APIGatewayProxyResult): unknown {
  return result.body === "" ? undefined : JSON.parse(result.body);
}

/** Quiet Powertools and give the wiring what it reads at module scope. */
export function testEnv(extra: Record<string, string>): void {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "test",
    POWERTOOLS_METRICS_NAMESPACE: "Meridian/test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    ...extra,
  });
}

/**
 * Routes that add no metric make Powertools warn on every flush; drop just
 * that line so test output stays readable.
 */
export function silenceEmptyMetricsWarning(): void {
  const warn = console.warn.bind(console);
  jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("No application metrics to publish")) return;
    warn(...args);
  });
}
